import Gateway
import Shared

ServiceMain.runConcurrencyOnEventLoops()
await Gateway.main()
