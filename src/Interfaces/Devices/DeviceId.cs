namespace Fleet.Devices;

/// <summary>
/// A device id: 1–64 characters of [A-Za-z0-9._-], starting with a letter or digit. Ids appear in
/// URLs, MQTT topics and file names, so anything else is refused before it reaches a grain.
/// </summary>
public static class DeviceId
{
    public const int MaxLength = 64;

    public const string Rule = "a device id is 1–64 characters of A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit";

    public static bool IsValid(string? id) => Validate(id) is null;

    /// <summary>Returns null for a valid id, otherwise a sentence that says what is wrong.</summary>
    public static string? Validate(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return "The device id is empty; " + Rule + ".";
        }

        if (id.Length > MaxLength)
        {
            return $"The device id is {id.Length} characters long; " + Rule + ".";
        }

        if (!char.IsAsciiLetterOrDigit(id[0]))
        {
            return "The device id does not start with a letter or digit; " + Rule + ".";
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return "The device id contains a character that is not allowed; " + Rule + ".";
            }
        }

        return null;
    }
}
