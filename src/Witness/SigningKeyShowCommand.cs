using System.CommandLine;
using Witness.Integrity;
using Witness.Server;

namespace Witness.Cli;

/// <summary>
/// <c>witness signing-key show</c>: the verifier keys (<c>name+keyid+base64</c>) of both signatures every checkpoint
/// carries, for note tools (Go's sumdb/note takes the Ed25519 one) and for witnesses' configuration.
/// </summary>
internal static class SigningKeyShowCommand
{
    public static Command Create()
    {
        var data = WitnessCli.DataOption();
        var signingKey = WitnessCli.SigningKeyOption();
        var origin = new Option<string>("--origin") { Description = "The server's origin prefix (serve --origin), the keys' name.", DefaultValueFactory = _ => "witness" };
        var show = new Command("show",
            "Print the verifier keys of the checkpoint signatures: 'ecdsa-p256' (C2SP type 0x02) and 'ed25519' (type 0x01), each as <name>+<key id>+<base64 key>, a tab after the kind.")
        {
            data, signingKey, origin,
        };
        show.SetAction(parse =>
        {
            var options = new WitnessServerOptions { DataDirectory = parse.GetValue(data)!, SigningKeyFile = parse.GetValue(signingKey), Origin = parse.GetValue(origin)! };
            var keyFile = options.SigningKeyFile ?? Path.Combine(options.DataDirectory, SigningKey.FileName);
            if (!File.Exists(keyFile))
            {
                throw new CliException($"no signing key at '{keyFile}': name the key file with --signing-key, or the data folder with --data", 1);
            }

            SigningKey key;
            try
            {
                key = ServerSigningKey.Load(options);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                throw new CliException(ex.Message, 1);
            }

            using (key)
            {
                Console.WriteLine($"ecdsa-p256\t{CheckpointSigner.VerifierKey(key.KeyName, key.Key)}");
                Console.WriteLine($"ed25519\t{key.Ed25519!.VerifierKey}");
            }

            return 0;
        });
        return show;
    }
}
