using System.Globalization;

namespace Witness.Cli;

/// <summary>A count with its noun in the number the count needs: "1 event", "2 events", "1 API key".</summary>
internal static class Counted
{
    public static string Of(long count, string one, string? many = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? one : many ?? one + "s")}");
}
