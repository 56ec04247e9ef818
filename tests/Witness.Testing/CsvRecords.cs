using CsvHelper;

namespace Witness.Testing;

/// <summary>CSV as an independent reader (CsvHelper) reads it.</summary>
public static class CsvRecords
{
    /// <summary>Every record of the file, header first, read by CsvHelper.</summary>
    public static List<string[]> Read(byte[] bytes)
    {
        using var reader = CsvReader.Create(new MemoryStream(bytes), new CsvReaderOptions { HasHeader = false });
        var rows = new List<string[]>();
        while (reader.Read())
        {
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetString)]);
        }

        return rows;
    }
}
