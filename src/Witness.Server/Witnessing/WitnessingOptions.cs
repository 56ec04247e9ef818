using Witness.Integrity;

namespace Witness.Server.Witnessing;

/// <summary>Which witnesses cosign the heads log, and when it counts as witnessed (docs/witnessing.md).</summary>
public sealed class WitnessingOptions
{
    /// <summary>The witnesses each new heads checkpoint is submitted to (C2SP tlog-witness). Empty: none.</summary>
    public List<WitnessEndpoint> Witnesses { get; } = [];

    /// <summary>How many witnesses' cosignatures make a heads checkpoint witnessed. 0 means all of <see cref="Witnesses"/>.</summary>
    public int Policy { get; set; }

    /// <summary>The policy in force: <see cref="Policy"/>, or every witness when it is 0.</summary>
    public int EffectivePolicy => Policy > 0 ? Policy : Witnesses.Count;

    /// <summary>The heads log counts as behind (and an alert is logged) when its latest checkpoint waited this long for the policy's cosignatures. Default 10 minutes.</summary>
    public TimeSpan AlertAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often a heads checkpoint not yet witnessed by the policy is submitted again. Default 30 seconds.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The least time between two submissions. Under full ingest a heads checkpoint is signed many times a second;
    /// the witnesses are sent the latest, which extends every earlier one. Default 1 second.
    /// </summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>A witness: its <c>cosignature/v1</c> verifier key and the URL prefix of its <c>add-checkpoint</c>.</summary>
public sealed record WitnessEndpoint(NoteVerifierKey Key, Uri Url)
{
    /// <summary>Reads <c>&lt;verifier key&gt;=&lt;url&gt;</c>.</summary>
    /// <exception cref="FormatException">The text is not of that form; the message says which part is wrong.</exception>
    public static WitnessEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The key's base64 may end in '=' padding, so the URL starts at the last "=http".
        var equals = text.LastIndexOf("=http", StringComparison.Ordinal);
        if (equals < 0)
        {
            throw new FormatException("a witness is <verifier key>=<url>");
        }

        var key = NoteVerifierKey.Parse(text[..equals]);
        if (key.Type != NoteVerifierKey.CosignatureType)
        {
            throw new FormatException("a witness's verifier key is of type 0x04 (cosignature/v1)");
        }

        var address = text[(equals + 1)..];
        return Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? new WitnessEndpoint(key, url)
            : throw new FormatException($"'{text[(equals + 1)..]}' is not an http(s) URL");
    }
}
