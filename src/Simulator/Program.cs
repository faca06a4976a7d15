using Fleet.Simulator.Cli;

return await SimulatorCli.RunAsync(args);
