using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Witness.Server.Logging;

/// <summary>
/// The server's console logs: plain text lines (<see cref="OneLineConsoleFormatter"/>) or, with
/// <see cref="WitnessServerOptions.JsonLogs"/>, one JSON object per line with UTC timestamps, whose
/// writer escapes every control character of the message and its values.
/// </summary>
internal static class ServerLogs
{
    public static void Add(ILoggingBuilder logging, bool json)
    {
        if (json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            logging.AddConsole(o => o.FormatterName = OneLineConsoleFormatter.FormatterName).AddConsoleFormatter<OneLineConsoleFormatter, ConsoleFormatterOptions>();
        }
    }
}
