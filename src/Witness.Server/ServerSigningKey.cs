using Witness.Integrity;

namespace Witness.Server;

/// <summary>Where a server (and the CLI commands that check its checkpoints) finds the checkpoint signing key.</summary>
internal static class ServerSigningKey
{
    /// <summary>The environment variable naming a shared key file, for instances that share a PostgreSQL database.</summary>
    public const string FileVariable = "WITNESS_SIGNING_KEY_FILE";

    /// <summary>
    /// The key in <see cref="WitnessServerOptions.SigningKeyFile"/> when set, else the one in the data
    /// folder (created there at first start).
    /// </summary>
    /// <remarks>The Ed25519 key that signs beside it is loaded from <see cref="Ed25519FileOf"/>, created there at first start.</remarks>
    /// <exception cref="InvalidOperationException">A key file is missing or does not hold its key; the message names the file.</exception>
    public static SigningKey Load(WitnessServerOptions options)
    {
        var key = LoadEcdsa(options);
        var ed25519File = Ed25519FileOf(options);
        try
        {
            return key.WithEd25519(Ed25519NoteKey.LoadOrCreate(ed25519File, options.Origin));
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            key.Dispose();
            throw new InvalidOperationException($"the Ed25519 signing key file '{ed25519File}' is not usable: {ex.Message} (it is created at first start beside the ECDSA key; or: openssl genpkey -algorithm ed25519 -out {ed25519File})", ex);
        }
    }

    /// <summary>The Ed25519 key file: beside the ECDSA key file, its name plus <see cref="Ed25519NoteKey.FileSuffix"/>.</summary>
    public static string Ed25519FileOf(WitnessServerOptions options) =>
        (options.SigningKeyFile ?? Path.Combine(options.DataDirectory, SigningKey.FileName)) + Ed25519NoteKey.FileSuffix;

    private static SigningKey LoadEcdsa(WitnessServerOptions options)
    {
        if (options.SigningKeyFile is not { } file)
        {
            return SigningKey.LoadOrCreate(options.DataDirectory, options.Origin);
        }

        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"the signing key file '{file}' does not exist (create one with: openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt > {file})");
        }

        try
        {
            return SigningKey.FromPem(File.ReadAllText(file), options.Origin);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"the signing key file '{file}' is not usable: {ex.Message}", ex);
        }
    }
}
