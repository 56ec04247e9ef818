namespace Witness.Storage.Postgres;

/// <summary>Between the microseconds of <see cref="EventIndexKeys"/> and <c>timestamptz</c>, which keeps microseconds exactly.</summary>
internal static class PostgresTime
{
    public static DateTime FromMicros(long micros) => DateTime.UnixEpoch.AddTicks(micros * 10);

    public static long ToMicros(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
