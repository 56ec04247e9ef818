using PdfSharp.Fonts;

namespace Witness.Export.Pdf;

/// <summary>
/// Gives PDFsharp the DejaVu Sans faces from a font folder (Debian's package fonts-dejavu-core by
/// default), which cover accented Latin, Greek and Cyrillic. Every family the report asks for
/// resolves to DejaVu Sans, regular or bold.
/// </summary>
internal sealed class DejaVuFontResolver : IFontResolver
{
    public const string Family = "DejaVu Sans";
    private const string Regular = "DejaVuSans";
    private const string Bold = "DejaVuSans-Bold";

    private readonly Dictionary<string, byte[]> _faces;

    private DejaVuFontResolver(Dictionary<string, byte[]> faces) => _faces = faces;

    /// <summary>Reads both faces from <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidOperationException">A face is missing, with what to install.</exception>
    public static DejaVuFontResolver Load(string folder)
    {
        var faces = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var face in new[] { Regular, Bold })
        {
            var path = Path.Combine(folder, face + ".ttf");
            if (!File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"PDF export needs the font {path}, which is missing. On Debian or Ubuntu install it with 'apt-get install fonts-dejavu-core', or point {PdfExportWriter.FontFolderVariable} at a folder holding {Regular}.ttf and {Bold}.ttf.");
            }

            faces[face] = File.ReadAllBytes(path);
        }

        return new DejaVuFontResolver(faces);
    }

    public FontResolverInfo ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? Bold : Regular);

    public byte[]? GetFont(string faceName) => _faces.GetValueOrDefault(faceName);
}
