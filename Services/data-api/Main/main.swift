import DataAPI
