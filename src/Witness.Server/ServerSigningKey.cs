using Witness.Integrity;

namespace Witness.Server;

/// <summary>Where a server (and the CLI commands that check its checkpoints) finds the checkpoint signing key.</summary>
public static class ServerSigningKey
{
    /// <summary>The environment variable naming a shared key file, for instances that share a PostgreSQL database.</summary>
    public const string FileVariable = "WITNESS_SIGNING_KEY_FILE";

    /// <summary>
    /// The key in <see cref="WitnessServerOptions.SigningKeyFile"/> when set, else the one in the data
    /// folder (created there at first start).
    /// </summary>
    /// <exception cref="InvalidOperationException">The key file is missing or does not hold a P-256 private key; the message names the file.</exception>
    public static SigningKey Load(WitnessServerOptions options)
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
