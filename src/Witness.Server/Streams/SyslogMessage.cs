using System.Buffers;
using System.Globalization;
using System.Text;
using Witness.Events;

namespace Witness.Server.Streams;

/// <summary>
/// One event as an RFC 5424 syslog message, framed by octet counting (RFC 6587 §3.4.1:
/// <c>MSG-LEN SP SYSLOG-MSG</c>). Facility 13 (log audit); severity notice, warning for a failure.
/// The structured data element <c>witness@32473</c> carries tenant, seq, hash, action and type (PARAM-VALUE
/// escaping <c>"</c>, <c>\</c> and <c>]</c>); the MSG is the record in the stream's format, UTF-8 with a BOM.
/// </summary>
internal static class SyslogMessage
{
    /// <summary>The SD-ID: 32473 is the private enterprise number RFC 5612 sets aside for examples and documentation.</summary>
    public const string SdId = "witness@32473";

    private const int Facility = 13;

    public static void WriteFramed(IBufferWriter<byte> output, string hostName, StreamRecord record, ReadOnlySpan<byte> message)
    {
        var e = record.Event;
        var severity = e.Outcome == Outcomes.Failure ? 4 : 5;
        var header = new StringBuilder(256);
        header.Append('<').Append((Facility * 8) + severity).Append(">1 ");
        header.Append(e.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)).Append(' ');
        header.Append(hostName).Append(" witness - ").Append(MsgId(e.Action)).Append(" [").Append(SdId);
        Param(header, "tenant", e.Tenant);
        Param(header, "seq", record.Seq.ToString(CultureInfo.InvariantCulture));
        Param(header, "hash", record.HashHex);
        Param(header, "id", e.Id);
        Param(header, "type", e.Type);
        header.Append("] ");
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        var length = headerBytes.Length + 3 + message.Length;
        var prefix = Encoding.ASCII.GetBytes(length.ToString(CultureInfo.InvariantCulture) + " ");
        output.Write(prefix);
        output.Write(headerBytes);
        output.Write("\uFEFF"u8);
        output.Write(message);
    }

    /// <summary>A HOSTNAME: printable US-ASCII without spaces, at most 255 characters, or <c>-</c>.</summary>
    public static string HostName(string name)
    {
        var clean = new string([.. name.Where(c => c is > ' ' and < (char)127)]);
        return clean.Length == 0 ? "-" : clean.Length > 255 ? clean[..255] : clean;
    }

    /// <summary>MSGID is at most 32 printable US-ASCII characters; actions are already of that alphabet.</summary>
    private static string MsgId(string action) => action.Length == 0 ? "-" : action.Length > 32 ? action[..32] : action;

    private static void Param(StringBuilder text, string name, string value)
    {
        text.Append(' ').Append(name).Append("=\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\' or ']')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        text.Append('"');
    }
}
