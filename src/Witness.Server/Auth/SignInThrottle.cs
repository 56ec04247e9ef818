using System.Net;
using Witness.Storage;

namespace Witness.Server.Auth;

/// <summary>
/// Counts failed console sign-ins per account (the email as typed, known or not) and per client
/// address in the store, so every instance sees the same counts, and refuses attempts once either
/// reached its limit until its window ends (<see cref="SignInThrottleOptions"/>). The check comes
/// before the password is hashed, so a refused attempt costs one small query.
/// </summary>
internal sealed class SignInThrottle(ISignInThrottleStore store, WitnessServerOptions options)
{
    private SignInThrottleOptions Limits => options.SignInThrottle;

    /// <summary>How long until an attempt for this email from this address may be tried again; null when it may be tried now.</summary>
    public async Task<TimeSpan?> RetryAfterAsync(string email, IPAddress? address, CancellationToken ct)
    {
        var now = options.Clock.GetUtcNow();
        var after = now - Limits.Window;
        TimeSpan? wait = null;
        foreach (var (key, max) in Keys(email, address))
        {
            var (failures, start) = await store.GetSignInFailuresAsync(key, after, ct);
            if (failures >= max && start is { } began)
            {
                var left = began + Limits.Window - now;
                wait = wait is { } other && other > left ? other : left;
            }
        }

        return wait;
    }

    /// <summary>Counts a failed attempt; true when it is among the first of the account's window, which are worth recording in the tenant's log.</summary>
    public async Task<bool> RecordFailureAsync(string email, IPAddress? address, CancellationToken ct)
    {
        var now = options.Clock.GetUtcNow();
        var worthRecording = true;
        foreach (var (key, max) in Keys(email, address))
        {
            var (failures, _) = await store.RecordSignInFailureAsync(key, now, now - Limits.Window, ct);
            worthRecording &= failures <= max;
        }

        return worthRecording;
    }

    /// <summary>Forgets the account's failures after it signed in; the address keeps its count, so one known password does not reset guessing at others.</summary>
    public async Task ClearAccountAsync(string email, CancellationToken ct)
    {
        // Almost every sign-in has no failure to forget: a read then, not a write, which would queue behind the
        // log's group commits for the store's one writer and wait for its own fsync before the user gets in. A count
        // of an ended window may stay; it counts for nothing, and the next failure starts a new window over it.
        var key = AccountKey(email);
        if ((await store.GetSignInFailuresAsync(key, options.Clock.GetUtcNow() - Limits.Window, ct)).Failures > 0)
        {
            await store.ClearSignInFailuresAsync(key, ct);
        }
    }

    private IEnumerable<(string Key, int Max)> Keys(string email, IPAddress? address)
    {
        yield return (AccountKey(email), Limits.MaxFailuresPerAccount);
        if (address is not null)
        {
            yield return ("address:" + (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address), Limits.MaxFailuresPerAddress);
        }
    }

    private static string AccountKey(string email)
    {
        email = email.Trim().ToLowerInvariant();
        return "account:" + (email.Length > 254 ? email[..254] : email);
    }
}
