using System.CommandLine;

namespace Witness.Cli.Backup;

/// <summary>
/// <c>witness backup --out FILE</c> and <c>witness restore FILE --data DIR</c> of a SQLite store, safe
/// while <c>serve</c> runs on it (<see cref="BackupArchive"/>). A PostgreSQL store is backed up with
/// <c>pg_dump</c> or point-in-time recovery, plus its key files (README, "Operating Witness").
/// </summary>
internal static class BackupCommand
{
    public static Command Backup()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var signingKey = WitnessCli.SigningKeyOption();
        var keyRing = new Option<string?>("--key-ring") { Description = "The console key ring folder, when the server keeps it outside the data folder (serve --key-ring).", HelpName = "DIR" };
        var output = new Option<string>("--out") { Description = "The archive to write (a tar file; replaced if it exists).", Required = true, HelpName = "FILE" };
        var passphrase = PassphraseOption("Seal the archive with the passphrase in this file (its first line): AES-256-GCM under a PBKDF2-SHA256 key.");
        var command = new Command("backup",
            "Write one archive of a SQLite store while the server may be running: an online copy of the database, the signing key(s), the console key ring and every other file of the data folder.")
        {
            data, postgres, signingKey, keyRing, output, passphrase,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(postgres) is not null)
            {
                throw new CliException("a PostgreSQL store is backed up with pg_dump or point-in-time recovery, plus its signing key file and key ring (README, \"Operating Witness\"); witness backup copies a SQLite data folder");
            }

            var dataDirectory = parse.GetValue(data)!;
            var key = parse.GetValue(signingKey);
            var ring = parse.GetValue(keyRing) ?? (key is null ? null : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(key))!, "console-keys"));
            if (key is not null && !File.Exists(key))
            {
                throw new CliException($"the signing key file '{key}' does not exist");
            }

            var secret = ReadPassphrase(parse.GetValue(passphrase));
            var outFile = parse.GetValue(output)!;
            var summary = BackupArchive.Create(dataDirectory, key, ring, outFile, secret);
            Console.WriteLine($"Backed up {BackupArchive.DatabaseFile} ({summary.DatabaseBytes:N0} bytes, an online copy) and {summary.OtherFiles} other file(s) to {outFile}, " +
                (secret is null ? "not encrypted: keep it as safe as the data folder (it holds the signing key)." : "sealed with the passphrase."));
            return 0;
        });
        return command;
    }

    public static Command Restore()
    {
        var archive = new Argument<string>("FILE") { Description = "An archive written by witness backup." };
        var data = new Option<string>("--data") { Description = "The data folder to restore into; it must be new or empty.", Required = true, HelpName = "DIR" };
        var passphrase = PassphraseOption("The file whose first line is the passphrase the archive was sealed with.");
        var command = new Command("restore", "Restore a backup into a new data folder; the folder is left empty when anything fails.") { archive, data, passphrase };
        command.SetAction(parse =>
        {
            var dataDirectory = parse.GetValue(data)!;
            var signingKey = BackupArchive.Restore(parse.GetValue(archive)!, dataDirectory, ReadPassphrase(parse.GetValue(passphrase)));
            Console.WriteLine($"Restored into {dataDirectory}. Check it with: witness verify --tenant TENANT --data {dataDirectory}" +
                (signingKey is null ? "" : $" --signing-key {signingKey}"));
            if (signingKey is not null)
            {
                Console.WriteLine($"The signing key was kept outside the data folder; it is now {signingKey}: start the server with --signing-key {signingKey}.");
            }

            return 0;
        });
        return command;
    }

    private static Option<string?> PassphraseOption(string description) => new("--passphrase-file") { Description = description, HelpName = "FILE" };

    private static string? ReadPassphrase(string? file)
    {
        if (file is null)
        {
            return null;
        }

        if (!File.Exists(file))
        {
            throw new CliException($"no passphrase file '{file}'");
        }

        var passphrase = File.ReadLines(file).FirstOrDefault()?.TrimEnd('\r') ?? "";
        return passphrase.Length > 0 ? passphrase : throw new CliException($"the passphrase file '{file}' is empty");
    }
}
