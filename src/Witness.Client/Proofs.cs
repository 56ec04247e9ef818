namespace Witness.Client;

/// <summary>A signed checkpoint as the server sends it: the C2SP note and its parts (root in base64).</summary>
public sealed record SignedCheckpoint(string Origin, long Size, string RootHash, string Note, DateTimeOffset CreatedAt);

/// <summary>An event's inclusion proof against a checkpoint: hashes in hex, leaf index from 0.</summary>
public sealed record InclusionProof(string Id, long Seq, long LeafIndex, string LeafHash, long TreeSize, IReadOnlyList<string> Proof, SignedCheckpoint Checkpoint);

/// <summary>A consistency proof between two tree sizes: hashes in hex, roots in base64.</summary>
public sealed record ConsistencyProof(long From, long To, string FromRoot, string ToRoot, IReadOnlyList<string> Proof);

/// <summary>A checkpoint whose signature verified: origin, tree size and root hash.</summary>
public sealed record VerifiedCheckpoint(string Origin, long Size, byte[] RootHash);

/// <summary>Which events to search or export. Every filter is optional; they mean what the filters of <c>GET /v1/events</c> mean (README, Searching).</summary>
public sealed record EventQuery
{
    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    /// <summary>Actor id or email.</summary>
    public string? Actor { get; init; }

    /// <summary>Exact, or a prefix such as <c>inbox.*</c>.</summary>
    public string? Action { get; init; }

    public string? Category { get; init; }

    public string? Type { get; init; }

    public string? Outcome { get; init; }

    /// <summary><c>type:id</c> or an id.</summary>
    public string? Target { get; init; }

    public string? Ip { get; init; }

    /// <summary>A query in the search language (README, Searching).</summary>
    public string? Q { get; init; }

    /// <summary>Events per page, 1–1,000.</summary>
    public int? PageSize { get; init; }

    internal IEnumerable<KeyValuePair<string, string>> Parameters()
    {
        if (From is { } from) yield return new("from", from.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        if (To is { } to) yield return new("to", to.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        if (Actor is not null) yield return new("actor", Actor);
        if (Action is not null) yield return new("action", Action);
        if (Category is not null) yield return new("category", Category);
        if (Type is not null) yield return new("type", Type);
        if (Outcome is not null) yield return new("outcome", Outcome);
        if (Target is not null) yield return new("target", Target);
        if (Ip is not null) yield return new("ip", Ip);
        if (Q is not null) yield return new("q", Q);
    }
}
