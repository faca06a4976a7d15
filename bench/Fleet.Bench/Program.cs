using Fleet.Bench;

return await BenchCli.RunAsync(args);
