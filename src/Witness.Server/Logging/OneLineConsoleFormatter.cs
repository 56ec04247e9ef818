using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Witness.Server.Logging;

/// <summary>
/// The plain-text log format (<c>--log-format text</c>): one line per entry, <c>level: category[event] message</c>
/// with the exception after it, and every control character of the message and exception (CR, LF, tab,
/// NEL, the Unicode line and paragraph separators) written as an escape such as <c>\r</c> or <c>\u0085</c>,
/// so text a user sent (an email typed at sign-in, a header) can never end the line and start one that
/// looks like Witness wrote it. The simple formatter's single-line mode only replaces the platform's
/// newline, which leaves a lone CR.
/// </summary>
internal sealed class OneLineConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "witness-text";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var line = new StringBuilder(128);
        line.Append(Level(logEntry.LogLevel)).Append(": ");
        Escape(line, logEntry.Category);
        line.Append('[').Append(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture)).Append("] ");
        Escape(line, message ?? "");
        if (logEntry.Exception is { } exception)
        {
            line.Append(' ');
            Escape(line, exception.ToString());
        }

        textWriter.Write(line.Append('\n').ToString());
    }

    /// <summary>Appends <paramref name="text"/> with each control or line-breaking character as a backslash escape.</summary>
    internal static void Escape(StringBuilder line, string text)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    line.Append(@"\\");
                    break;
                case '\r':
                    line.Append(@"\r");
                    break;
                case '\n':
                    line.Append(@"\n");
                    break;
                case '\t':
                    line.Append(@"\t");
                    break;
                default:
                    if (char.IsControl(c) || c is '\u2028' or '\u2029')
                    {
                        line.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        line.Append(c);
                    }

                    break;
            }
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
