using Fleet.Silo;

return await FleetApp.RunAsync(args);
