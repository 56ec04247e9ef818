namespace Witness.Testing;

/// <summary>The checkout the tests run from: the folder holding <c>Witness.slnx</c> above the test binaries.</summary>
public static class RepositoryFolder
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Witness.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Witness.slnx above {AppContext.BaseDirectory}");
    }
}
