namespace Fleet.Silo.Storage;

internal static partial class StorageLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information,
        Message = "Applied Fleet storage schema version {Version} on {Engine} at {Database} in {ElapsedMilliseconds:F0} ms")]
    public static partial void SchemaApplied(ILogger logger, string engine, int version, string database, double elapsedMilliseconds);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information,
        Message = "Fleet storage schema on {Engine} at {Database} is current at version {Version}")]
    public static partial void SchemaCurrent(ILogger logger, string engine, int version, string database);
}
