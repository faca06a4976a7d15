using Fleet.Client;

return await FleetCli.RunAsync(args);
