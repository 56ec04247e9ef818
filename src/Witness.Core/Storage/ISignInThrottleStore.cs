namespace Witness.Storage;

/// <summary>
/// Counters of failed console sign-ins per throttle key (an account or an address), kept in the
/// store so that every instance sees the same counts. A counter lives in a fixed window: a failure
/// after the window ended starts a new one. Safe to call concurrently from several instances.
/// </summary>
public interface ISignInThrottleStore
{
    /// <summary>The failures counted for <paramref name="key"/> in the window that began at or after <paramref name="windowStartsAfter"/>, and when it began; (0, null) when none.</summary>
    Task<(int Failures, DateTimeOffset? WindowStart)> GetSignInFailuresAsync(string key, DateTimeOffset windowStartsAfter, CancellationToken ct);

    /// <summary>
    /// Counts one failure at <paramref name="now"/>: in the current window when it began after
    /// <paramref name="windowStartsAfter"/>, else in a new window starting now. Returns the count and the window's start.
    /// </summary>
    Task<(int Failures, DateTimeOffset WindowStart)> RecordSignInFailureAsync(string key, DateTimeOffset now, DateTimeOffset windowStartsAfter, CancellationToken ct);

    /// <summary>Forgets the failures of <paramref name="key"/> (after a successful sign-in of the account).</summary>
    Task ClearSignInFailuresAsync(string key, CancellationToken ct);
}
