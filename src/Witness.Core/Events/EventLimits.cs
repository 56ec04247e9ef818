namespace Witness.Events;

/// <summary>The limits of SPEC §2, in one place so that the parser, the API and the docs agree.</summary>
public static class EventLimits
{
    public const int MaxActionLength = 128;
    public const int MaxTenantLength = 64;
    public const int MaxIdLength = 128;
    public const int MaxEventBytes = 64 * 1024;
    public const int MaxBatchEvents = 1000;
    public const int MaxBatchBytes = 8 * 1024 * 1024;
    public const int MaxTargets = 100;
    public const int MaxShortText = 256;
    public const int MaxLongText = 2048;
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromHours(24);
}
