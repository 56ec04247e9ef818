using System.Globalization;

namespace Witness.Export;

/// <summary>The name an export is saved under: <c>audit-logs-acme-2023-06-01_2023-06-30.csv</c>.</summary>
public static class ExportFileName
{
    /// <summary>The file name for <paramref name="tenant"/>'s export covering the days of <paramref name="period"/>.</summary>
    public static string For(string tenant, ExportPeriod period, string extension) =>
        string.Create(CultureInfo.InvariantCulture, $"audit-logs-{tenant}-{period.From:yyyy-MM-dd}_{period.To:yyyy-MM-dd}.{extension}");
}
