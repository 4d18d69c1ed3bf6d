import Gateway

await Gateway.main()
