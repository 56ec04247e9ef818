using Witness.Storage;

namespace Witness.Server.Http;

/// <summary>The tenant's time zone from its settings (UTC when unset or unknown to this machine).</summary>
internal static class TenantZone
{
    public static TimeZoneInfo Of(TenantSettings settings) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(settings.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;
}
