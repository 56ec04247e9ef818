using System.Diagnostics;

namespace Witness.Testing;

/// <summary>The text of a PDF as poppler's pdftotext reads it: an independent reader of what was drawn.</summary>
public static class PdfText
{
    /// <param name="pdf">The file.</param>
    /// <param name="page">Only this page (1-based), or every page when null.</param>
    public static async Task<string> ExtractAsync(byte[] pdf, int? page = null)
    {
        var path = Path.Combine(Path.GetTempPath(), $"witness-test-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(path, pdf);
        try
        {
            var start = new ProcessStartInfo("pdftotext") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])[.. page is { } only ? ["-f", $"{only}", "-l", $"{only}"] : Array.Empty<string>(), "-enc", "UTF-8", "-layout", path, "-"])
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 ? await output : throw new InvalidOperationException($"pdftotext failed: {await error}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
