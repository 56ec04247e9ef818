using Microsoft.Extensions.Time.Testing;

namespace Witness.Testing;

/// <summary>
/// The manual clock (<see cref="FakeTimeProvider"/>: <c>Advance</c>, <c>SetUtcNow</c>) for a whole running
/// server: the date is the test's, but timers and timestamps run in real time, so the server's background
/// loops (<c>Task.Delay(interval, clock)</c>) keep turning while the test holds the date still. A plain
/// <see cref="FakeTimeProvider"/> fires a timer only when the test advances it; use that for a part tested alone.
/// </summary>
public sealed class ServerClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        System.CreateTimer(callback, state, dueTime, period);

    public override long GetTimestamp() => System.GetTimestamp();

    public override long TimestampFrequency => System.TimestampFrequency;
}
