using CsvHelper;
using Witness.Export;

namespace Witness.Tests.Export;

public sealed class CsvOptionsTests
{
    public static TheoryData<string, string> Cells => new()
    {
        { "=1+1", "'=1+1" },
        { "+SUM(A1:A9)", "'+SUM(A1:A9)" },
        { "-2+3", "'-2+3" },
        { "@cmd", "'@cmd" },
        { "\tTAB", "'\tTAB" },
        { "\rCR", "'\rCR" },
        { "\nLF", "'\nLF" },
        { "a=1", "a=1" },
        { "Zoë Ångström", "Zoë Ångström" },
        { "日本語", "日本語" },
        { "🎉 party", "🎉 party" },
        { "comma, \"quote\"", "comma, \"quote\"" },
        { "", "" },
    };

    [Theory]
    [MemberData(nameof(Cells))]
    public void A_cell_reads_back_with_formulas_prefixed_and_all_other_text_unchanged(string written, string read)
    {
        using var stream = new MemoryStream();
        using (var csv = CsvWriter.Create(stream, CsvExportWriter.Options, leaveOpen: true))
        {
            csv.WriteField("first");
            csv.WriteField(written);
            csv.EndRecord();
        }

        var bytes = stream.ToArray();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        using var reader = CsvReader.Create(new MemoryStream(bytes), new CsvReaderOptions { HasHeader = false });
        Assert.True(reader.Read());
        Assert.Equal("first", reader.GetString(0));
        Assert.Equal(read, reader.GetString(1));
        Assert.False(reader.Read());
    }
}
