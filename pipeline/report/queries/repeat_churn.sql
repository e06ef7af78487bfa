-- Churn over every customer with an order (mart_customer_retention's churn_status): churned, no
-- order in the last churn_days of the data; known: active or churned (censored ones left out).
select
    count(*) filter (where churn_status in ('active', 'churned')) as known,
    count(*) filter (where churn_status = 'churned') as churned
from mart_customer_retention
where orders > 0
