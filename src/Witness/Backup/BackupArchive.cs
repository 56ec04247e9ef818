using System.Formats.Tar;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Witness.Server.Secrets;

namespace Witness.Cli.Backup;

/// <summary>
/// One tar archive of everything a SQLite Witness needs to come back: an online copy of the database
/// (SQLite's backup API, so <c>serve</c> keeps writing meanwhile) and every other file of the data
/// folder (signing keys current and retired, the console key ring, viewer and demo secrets), plus a
/// signing key file kept outside it with its retired predecessors, and a key ring kept outside it. Entries are <c>data/…</c>, <c>signing-key/NAME</c> and <c>key-ring/…</c>;
/// optionally sealed with a passphrase (<see cref="PassphraseEncryption"/>).
/// </summary>
internal static class BackupArchive
{
    public const string DatabaseFile = "witness.db";
    private const string DataPrefix = "data/";
    private const string SigningKeyPrefix = "signing-key/";
    private const string KeyRingPrefix = "key-ring/";
    private static readonly string[] DatabaseCompanions = ["witness.db", "witness.db-wal", "witness.db-shm", "witness.db-journal"];

    /// <summary>What a backup holds: the database's size and how many other files.</summary>
    public sealed record Summary(long DatabaseBytes, int OtherFiles);

    /// <exception cref="CliException">There is no SQLite store in <paramref name="dataDirectory"/>.</exception>
    public static Summary Create(string dataDirectory, string? signingKeyFile, string? keyRingDirectory, string outFile, string? passphrase)
    {
        var database = Path.Combine(dataDirectory, DatabaseFile);
        if (!File.Exists(database))
        {
            throw new CliException($"no Witness store in '{dataDirectory}' (give --data DIR)");
        }

        var outPath = Path.GetFullPath(outFile);
        var work = Path.Combine(Path.GetDirectoryName(outPath)!, $".{Path.GetFileName(outPath)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.partial");
        CreatePrivateDirectory(work);
        try
        {
            var copy = Path.Combine(work, DatabaseFile);
            using (var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString()))
            using (var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString()))
            {
                source.Open();
                using (var wait = source.CreateCommand())
                {
                    wait.CommandText = "PRAGMA busy_timeout = 30000";
                    wait.ExecuteNonQuery();
                }

                target.Open();
                source.BackupDatabase(target);
                using var journal = target.CreateCommand();
                journal.CommandText = "PRAGMA journal_mode = DELETE";
                journal.ExecuteNonQuery();
            }

            var others = 0;
            var tar = passphrase is null ? outPath + ".tmp" : Path.Combine(work, "archive.tar");
            using (var stream = PrivateFile(tar))
            using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: false))
            {
                writer.WriteEntry(copy, DataPrefix + DatabaseFile);
                var dataRoot = Path.GetFullPath(dataDirectory);
                foreach (var file in FilesUnder(dataRoot))
                {
                    var relative = Path.GetRelativePath(dataRoot, file).Replace(Path.DirectorySeparatorChar, '/');
                    if (DatabaseCompanions.Contains(relative, StringComparer.Ordinal) || file.StartsWith(work, StringComparison.Ordinal)
                        || file == outPath || file.StartsWith(outPath + ".", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    writer.WriteEntry(file, DataPrefix + relative);
                    others++;
                }

                if (signingKeyFile is not null && !IsUnder(Path.GetFullPath(signingKeyFile), dataRoot))
                {
                    // The key, the keys it replaced (signing-key rotate keeps them beside it as NAME.ID.retired) and the Ed25519 key beside it.
                    var name = Path.GetFileName(signingKeyFile);
                    var folder = Path.GetDirectoryName(Path.GetFullPath(signingKeyFile))!;
                    foreach (var file in Directory.EnumerateFiles(folder, name).Concat(Directory.EnumerateFiles(folder, name + ".*.retired")).Concat(Directory.EnumerateFiles(folder, name + Integrity.Ed25519NoteKey.FileSuffix)).Order(StringComparer.Ordinal))
                    {
                        writer.WriteEntry(file, SigningKeyPrefix + Path.GetFileName(file));
                        others++;
                    }
                }

                if (keyRingDirectory is not null && Directory.Exists(keyRingDirectory) && !IsUnder(Path.GetFullPath(keyRingDirectory), dataRoot))
                {
                    foreach (var file in FilesUnder(Path.GetFullPath(keyRingDirectory)))
                    {
                        writer.WriteEntry(file, KeyRingPrefix + Path.GetRelativePath(keyRingDirectory, file).Replace(Path.DirectorySeparatorChar, '/'));
                        others++;
                    }
                }
            }

            if (passphrase is not null)
            {
                using var plain = File.OpenRead(tar);
                using var sealedOutput = PrivateFile(outPath + ".tmp");
                PassphraseEncryption.Seal(plain, sealedOutput, passphrase);
            }

            File.Move(outPath + ".tmp", outPath, overwrite: true);
            return new Summary(new FileInfo(copy).Length, others);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            File.Delete(outPath + ".tmp");
        }
    }

    /// <summary>
    /// Unpacks <paramref name="archive"/> into <paramref name="dataDirectory"/>, which must be missing or
    /// empty; on any failure nothing is left in it. Returns where an outside signing key went, if any.
    /// </summary>
    /// <exception cref="CliException">The folder is not empty (exit 2); a passphrase is missing (2) or wrong, or the archive is damaged (1).</exception>
    public static string? Restore(string archive, string dataDirectory, string? passphrase)
    {
        if (!File.Exists(archive))
        {
            throw new CliException($"no backup file '{archive}'");
        }

        var existed = Directory.Exists(dataDirectory);
        if (existed && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new CliException($"'{dataDirectory}' is not empty; restore into a new or empty folder");
        }

        var isSealed = PassphraseEncryption.IsSealed(archive);
        if (isSealed && passphrase is null)
        {
            throw new CliException("the backup is sealed with a passphrase; give --passphrase-file FILE");
        }

        CreatePrivateDirectory(dataDirectory);
        var root = Path.GetFullPath(dataDirectory);
        try
        {
            string? signingKey = null;
            var tar = archive;
            if (isSealed)
            {
                tar = Path.Combine(root, ".restore.tar");
                using var sealedInput = File.OpenRead(archive);
                using var plain = PrivateFile(tar);
                try
                {
                    PassphraseEncryption.Open(sealedInput, plain, passphrase!);
                }
                catch (CryptographicException ex)
                {
                    throw new CliException($"cannot open the backup: the passphrase is wrong or the file was changed ({ex.Message})", 1);
                }
            }

            try
            {
                using var stream = File.OpenRead(tar);
                using var reader = new TarReader(stream);
                while (reader.GetNextEntry() is { } entry)
                {
                    if (entry.EntryType is TarEntryType.Directory)
                    {
                        continue;
                    }

                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    {
                        throw new CliException($"the backup holds an entry of an unexpected kind: {entry.Name}", 1);
                    }

                    var target = Target(root, entry.Name, ref signingKey);
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    if (File.Exists(target))
                    {
                        throw new CliException($"the backup holds {entry.Name} twice", 1);
                    }

                    entry.ExtractToFile(target, overwrite: false);
                }
            }
            catch (InvalidDataException ex)
            {
                throw new CliException($"the backup is damaged: {ex.Message}", 1);
            }
            finally
            {
                if (isSealed)
                {
                    File.Delete(tar);
                }
            }

            CheckDatabase(Path.Combine(root, DatabaseFile));
            DataFolderPermissions.Restrict(root);
            return signingKey;
        }
        catch
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(root))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }

            if (!existed)
            {
                Directory.Delete(root);
            }

            throw;
        }
    }

    /// <summary>Where an archive entry goes under <paramref name="root"/>; refuses names that would leave it.</summary>
    private static string Target(string root, string name, ref string? signingKey)
    {
        string relative;
        if (name.StartsWith(DataPrefix, StringComparison.Ordinal))
        {
            relative = name[DataPrefix.Length..];
        }
        else if (name.StartsWith(KeyRingPrefix, StringComparison.Ordinal))
        {
            relative = "console-keys/" + name[KeyRingPrefix.Length..];
        }
        else if (name.StartsWith(SigningKeyPrefix, StringComparison.Ordinal))
        {
            // Beside console-keys, where a server given this key file looks for the key ring.
            relative = name[SigningKeyPrefix.Length..];
        }
        else
        {
            throw new CliException($"the backup holds an unexpected entry: {name}", 1);
        }

        var target = Path.GetFullPath(Path.Combine(root, relative));
        if (relative.Length == 0 || Path.IsPathRooted(relative) || !IsUnder(target, root))
        {
            throw new CliException($"the backup holds an entry outside its folder: {name}", 1);
        }

        if (name.StartsWith(SigningKeyPrefix, StringComparison.Ordinal) && !name.EndsWith(".retired", StringComparison.Ordinal)
            && !name.EndsWith(Integrity.Ed25519NoteKey.FileSuffix, StringComparison.Ordinal))
        {
            signingKey = target;
        }

        return target;
    }

    private static void CheckDatabase(string database)
    {
        if (!File.Exists(database))
        {
            throw new CliException("the backup holds no database", 1);
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        if (check.ExecuteScalar() is not "ok")
        {
            throw new CliException("the restored database fails SQLite's integrity check", 1);
        }
    }

    private static IEnumerable<string> FilesUnder(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.LinkTarget is null).Select(f => f.FullName).Order(StringComparer.Ordinal);

    private static bool IsUnder(string path, string folder) =>
        path.StartsWith(folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, DataFolderPermissions.Folder);
        }
    }

    private static FileStream PrivateFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = DataFolderPermissions.File;
        }

        return new FileStream(path, options);
    }
}
