namespace Witness.Client.Tests.Support;

/// <summary>A fresh folder under the system temp folder, deleted with everything in it when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose() => Delete(Path);

    /// <summary>Deletes <paramref name="path"/> and what it holds, if it is there.</summary>
    public static void Delete(string path)
    {
        for (var attempt = 1; Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException) when (attempt < 10)
            {
                // A process that was just killed may still be closing its files.
                Thread.Sleep(100);
            }
            catch (IOException)
            {
                return;
            }
        }
    }
}
