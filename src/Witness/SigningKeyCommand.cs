using System.CommandLine;
using System.Security.Cryptography;
using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Server;
using Witness.Storage;

namespace Witness.Cli;

/// <summary>
/// <c>witness signing-key list</c> and <c>witness signing-key rotate [--new-key FILE]</c>: the store's checkpoint
/// signing keys (<see cref="SigningKeyRegistry"/>). Rotating registers the new key as current, endorsed by it for
/// the old one, and puts it in the key file the instances read, keeping the old file beside it.
/// </summary>
internal static class SigningKeyCommand
{
    public static Command Create()
    {
        var command = new Command("signing-key", "List the store's checkpoint signing keys, or make a new one current.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Rotate());
        command.Subcommands.Add(SigningKeyShowCommand.Create());
        return command;
    }

    private static Command List()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var list = new Command("list", "Print every signing key the store registered, oldest first: key ID, from, until (current for the last), and its public key.") { data, postgres };
        list.SetAction(async (parse, ct) =>
        {
            await using var host = await OpenStoreAsync(parse.GetValue(data)!, parse.GetValue(postgres), ct);
            var store = host.Store;
            foreach (var key in await ((ISigningKeyStore)store).ListSigningKeysAsync(ct))
            {
                Console.WriteLine($"{key.KeyId}\tfrom {Rfc3339(key.ValidFrom)}\t{(key.ValidUntil is { } until ? $"until {Rfc3339(until)}" : "current")}");
            }

            return 0;
        });
        return list;
    }

    private static Command Rotate()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var signingKey = WitnessCli.SigningKeyOption();
        var origin = new Option<string>("--origin") { Description = "The server's checkpoint origin (its key name).", DefaultValueFactory = _ => "witness" };
        var newKey = new Option<FileInfo?>("--new-key")
        {
            Description = "A PEM file with the new P-256 private key (openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt). Default: a new key is generated.",
            HelpName = "FILE",
        };
        var rotate = new Command("rotate",
            "Make a new checkpoint signing key current. It goes into the key file (--signing-key, or checkpoint-signing-key.pem in the data folder); " +
            "the old file is kept beside it as <file>.<key id>.retired. Older checkpoints keep verifying under the key of their time. " +
            "Restart every instance with the new key file afterwards: an instance still holding the old key signs no more checkpoints.")
        {
            data, postgres, signingKey, origin, newKey,
        };
        rotate.SetAction(async (parse, ct) =>
        {
            var dataDirectory = parse.GetValue(data)!;
            var keyFile = parse.GetValue(signingKey) ?? Path.Combine(dataDirectory, SigningKey.FileName);
            if (!File.Exists(keyFile))
            {
                throw new CliException($"no signing key at '{keyFile}': name the current key file with --signing-key, or the data folder with --data");
            }

            using var current = LoadKey(() => ServerSigningKey.Load(new WitnessServerOptions { DataDirectory = dataDirectory, SigningKeyFile = keyFile, Origin = parse.GetValue(origin)! }));
            string newPem;
            if (parse.GetValue(newKey) is { } file)
            {
                try
                {
                    newPem = await File.ReadAllTextAsync(file.FullName, ct);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new CliException($"--new-key: cannot read '{file.FullName}': {ex.Message}");
                }
            }
            else
            {
                using var generated = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                newPem = generated.ExportPkcs8PrivateKeyPem();
            }

            using var next = LoadKey(() => SigningKey.FromPem(newPem, current.KeyName), "--new-key: ");
            var staged = Stage(keyFile, newPem);
            await using var host = await OpenStoreAsync(dataDirectory, parse.GetValue(postgres), ct);
            var store = host.Store;
            RegisteredKey added;
            try
            {
                added = await SigningKeyRegistry.RotateAsync(store, current, next.Key, TimeProvider.System, ct);
            }
            catch (SigningKeyRefusedException ex)
            {
                File.Delete(staged);
                throw new CliException(ex.Message, 1);
            }

            var oldId = RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(current.Key));
            var retired = $"{keyFile}.{oldId}.retired";
            File.Move(keyFile, retired, overwrite: true);
            File.Move(staged, keyFile);
            Console.WriteLine($"Signing key {added.KeyId} is now current; it replaced {oldId}, whose file is kept as {retired}.");
            Console.WriteLine($"Restart every instance with the key file {keyFile}: an instance still holding key {oldId} signs no more checkpoints.");
            return 0;
        });
        return rotate;
    }

    /// <summary>Writes the new key beside the key file (owner-only) before the store changes, so a full disk or a read-only folder changes nothing.</summary>
    private static string Stage(string keyFile, string pem)
    {
        var staged = $"{keyFile}.{Guid.NewGuid():N}.new";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var writer = new StreamWriter(staged, options);
            writer.Write(pem);
            return staged;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write the new key beside '{keyFile}': {ex.Message}; nothing was changed", 1);
        }
    }

    private static SigningKey LoadKey(Func<SigningKey> load, string prefix = "")
    {
        try
        {
            return load();
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw new CliException(prefix + ex.Message);
        }
    }

    private static async Task<CommandHost> OpenStoreAsync(string dataDirectory, string? postgres, CancellationToken ct)
    {
        try
        {
            return await CommandHost.OpenAsync(dataDirectory, postgres, ct);
        }
        catch (InvalidOperationException ex)
        {
            throw new CliException(ex.Message, 1);
        }
    }

    private static string Rfc3339(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
