-- The monthly outcome mix of the period: mart_month as it stands.
select * from mart_month
order by month
