namespace Witness.Privacy;

/// <summary>
/// Whose personal values to erase in a tenant: by <see cref="Email"/>, every event whose actor has that
/// email and every event of the actor ids seen with it; by <see cref="ActorId"/>, every event of that actor.
/// Exactly one of the two is set.
/// </summary>
public sealed record ErasureSubject
{
    private ErasureSubject(string? email, string? actorId)
    {
        Email = email;
        ActorId = actorId;
    }

    /// <summary>The email, lower-cased as the email index holds it.</summary>
    public string? Email { get; }

    public string? ActorId { get; }

    public static ErasureSubject ByEmail(string email) => new(email.Trim().ToLowerInvariant(), null);

    public static ErasureSubject ByActorId(string actorId) => new(null, actorId);

    /// <summary>How the subject was named, for the <c>privacy.erase</c> event (never the value itself).</summary>
    public string Kind => Email is not null ? "email" : "actor_id";
}

/// <summary>
/// What an erasure touched: <see cref="Events"/> rewritten; <see cref="Kept"/> matched but stored in leaf
/// version 1 (before commitments), whose values cannot be removed without breaking their proofs.
/// </summary>
public sealed record ErasureCount(long Events, long Kept)
{
    public static ErasureCount None { get; } = new(0, 0);
}
