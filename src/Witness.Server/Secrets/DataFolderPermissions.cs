namespace Witness.Server.Secrets;

/// <summary>
/// Keeps the data folder to its owner: the folder and every folder in it 0700, every file 0600 (the
/// SQLite database with its -wal and -shm, the signing, viewer and console keys). Applied at every
/// start, so an install made before this rule is tightened too. Does nothing on Windows, whose ACLs
/// the folder inherits.
/// </summary>
internal static class DataFolderPermissions
{
    public const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Restrict(string folder)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(folder))
        {
            return;
        }

        System.IO.File.SetUnixFileMode(folder, Folder);
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            entry.UnixFileMode = entry is DirectoryInfo ? Folder : File;
        }
    }
}
