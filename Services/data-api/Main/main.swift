import DataAPI
import Shared

ServiceMain.runConcurrencyOnEventLoops()
await DataAPI.main()
