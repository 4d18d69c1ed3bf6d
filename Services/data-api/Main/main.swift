import DataAPI

await DataAPI.main()
