using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Witness.Server.Console;

/// <summary>
/// Builds an HTML page where every value is HTML-encoded: text through <see cref="Text"/>, attribute
/// values through the attribute lists of <see cref="Open"/>, <see cref="Void"/> and <see cref="Element"/>.
/// Tag names, attribute names and <see cref="Markup"/> take only fixed strings written in this
/// folder, never data. Nothing is ever written into a script or style context.
/// </summary>
internal sealed class HtmlWriter
{
    // Letters of every script stay readable in the page source; markup characters are always encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private readonly StringWriter _out = new(new StringBuilder(32 * 1024), CultureInfo.InvariantCulture);

    /// <summary>Writes fixed markup (icons, fixed fragments). Never pass anything built from data.</summary>
    public HtmlWriter Markup(string markup)
    {
        _out.Write(markup);
        return this;
    }

    /// <summary>Writes <paramref name="text"/> encoded; null writes nothing.</summary>
    public HtmlWriter Text(string? text)
    {
        if (text is not null)
        {
            Encoder.Encode(_out, text);
        }

        return this;
    }

    /// <summary>An opening tag; attributes whose value is null are left out, values are encoded.</summary>
    public HtmlWriter Open(string tag, params ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        _out.Write('<');
        _out.Write(tag);
        WriteAttributes(attributes);
        _out.Write('>');
        return this;
    }

    /// <summary>An element without content, such as <c>input</c> or <c>link</c>.</summary>
    public HtmlWriter Void(string tag, params ReadOnlySpan<(string Name, string? Value)> attributes) => Open(tag, attributes);

    public HtmlWriter Close(string tag)
    {
        _out.Write("</");
        _out.Write(tag);
        _out.Write('>');
        return this;
    }

    /// <summary>An element holding <paramref name="text"/>, encoded.</summary>
    public HtmlWriter Element(string tag, string? text, params ReadOnlySpan<(string Name, string? Value)> attributes) =>
        Open(tag, attributes).Text(text).Close(tag);

    public override string ToString() => _out.ToString();

    private void WriteAttributes(ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        foreach (var (name, value) in attributes)
        {
            if (value is null)
            {
                continue;
            }

            _out.Write(' ');
            _out.Write(name);
            _out.Write("=\"");
            Encoder.Encode(_out, value);
            _out.Write('"');
        }
    }

    /// <summary>
    /// <paramref name="url"/> when it is an absolute http or https URL, else null, so that no other
    /// scheme (<c>javascript:</c>, <c>data:</c>) ever becomes a link.
    /// </summary>
    public static string? SafeLink(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri.AbsoluteUri
            : null;
}
