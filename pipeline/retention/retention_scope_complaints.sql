-- retention_scope_complaints: one row per complaint kept in mart_complaint_orders by a customer
-- in retention_scope (key: source, interaction_id): the rows an incremental run replaces there
-- (mart_complaint_orders' grain is the complaint; the scope is the customer).
select source, interaction_id
from mart_complaint_orders
where customer_id in (select customer_id from retention_scope)
