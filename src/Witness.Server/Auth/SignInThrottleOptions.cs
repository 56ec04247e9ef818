namespace Witness.Server.Auth;

/// <summary>
/// How many failed console sign-ins an account and an address may make before further attempts are
/// refused (429 with <c>Retry-After</c>) until the window that counted them ends. Refused attempts
/// cost no password hashing and are not recorded in the tenant's log.
/// </summary>
public sealed class SignInThrottleOptions
{
    /// <summary>How long failures are counted, from the first one; a lockout lasts until it ends. Default 15 minutes.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Failures per email (known or not) in one window. Default 5; the first this many are recorded in the tenant's log.</summary>
    public int MaxFailuresPerAccount { get; set; } = 5;

    /// <summary>Failures per client address in one window, whatever emails it tries. Default 20.</summary>
    public int MaxFailuresPerAddress { get; set; } = 20;

    /// <exception cref="InvalidOperationException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Window <= TimeSpan.Zero || Window > TimeSpan.FromDays(1))
        {
            throw new InvalidOperationException($"the sign-in throttle window must be between 1 second and 1 day, not {Window}");
        }

        if (MaxFailuresPerAccount < 1 || MaxFailuresPerAddress < 1)
        {
            throw new InvalidOperationException("the sign-in throttle's failures per account and per address must be at least 1");
        }
    }
}
