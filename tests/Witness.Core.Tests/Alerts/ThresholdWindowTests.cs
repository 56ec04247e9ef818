using Witness.Alerts;

namespace Witness.Core.Tests.Alerts;

public sealed class ThresholdWindowTests
{
    private static readonly DateTimeOffset T0 = new(2024, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_nth_event_within_the_window_fires_and_counting_starts_over()
    {
        var window = new ThresholdWindow(3, TimeSpan.FromMinutes(10));
        Assert.False(window.Add("u1", T0, T0));
        Assert.False(window.Add("u1", T0.AddMinutes(4), T0.AddMinutes(4)));
        Assert.True(window.Add("u1", T0.AddMinutes(9), T0.AddMinutes(9)));
        Assert.False(window.Add("u1", T0.AddMinutes(9), T0.AddMinutes(9)));
    }

    [Fact]
    public void Events_further_apart_than_the_window_do_not_add_up()
    {
        var window = new ThresholdWindow(3, TimeSpan.FromMinutes(10));
        Assert.False(window.Add("u1", T0, T0));
        Assert.False(window.Add("u1", T0.AddMinutes(6), T0.AddMinutes(6)));
        Assert.False(window.Add("u1", T0.AddMinutes(12), T0.AddMinutes(12)));
        Assert.True(window.Add("u1", T0.AddMinutes(13), T0.AddMinutes(13)));
    }

    [Fact]
    public void Groups_count_apart_and_an_event_dated_ahead_does_not_reset_them()
    {
        var window = new ThresholdWindow(2, TimeSpan.FromMinutes(10));
        Assert.False(window.Add("u1", T0, T0));
        Assert.False(window.Add("u2", T0.AddHours(20), T0.AddSeconds(1)));
        Assert.True(window.Add("u1", T0.AddMinutes(1), T0.AddMinutes(1)));
    }

    [Fact]
    public void Idle_groups_are_forgotten()
    {
        var window = new ThresholdWindow(5, TimeSpan.FromMinutes(10));
        for (var i = 0; i < 100; i++)
        {
            window.Add($"ip{i}", T0, T0);
        }

        window.Add("late", T0.AddMinutes(30), T0.AddMinutes(30));
        Assert.Equal(1, window.Groups);
    }
}
