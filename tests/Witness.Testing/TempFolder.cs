namespace Witness.Testing;

/// <summary>Throwaway folders under the system temp folder.</summary>
public static class TempFolder
{
    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A process that still holds a file open keeps the folder until the temp cleaner runs.
        }
    }
}
