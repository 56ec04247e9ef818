using System.Text;
using Witness.Events;

namespace Witness.Tests.Events;

public sealed class Rfc3339Tests
{
    public static TheoryData<long> Ticks => new()
    {
        DateTimeOffset.MinValue.UtcTicks,
        DateTimeOffset.MaxValue.UtcTicks,
        new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks,
        new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks + 1,
        new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks + 9,
        new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks + 10,
        new DateTimeOffset(2023, 6, 22, 15, 6, 0, TimeSpan.Zero).UtcTicks + 1_234_567,
        new DateTimeOffset(999, 12, 31, 23, 59, 59, TimeSpan.Zero).UtcTicks + 9_999_999,
        new DateTimeOffset(2024, 2, 29, 9, 5, 7, TimeSpan.Zero).UtcTicks + 5_000_000,
    };

    [Theory]
    [MemberData(nameof(Ticks))]
    public void The_utf8_form_of_a_time_is_its_text_form(long ticks)
    {
        var time = new DateTimeOffset(ticks, TimeSpan.Zero);
        Span<byte> utf8 = stackalloc byte[Rfc3339.MaxFormattedLength];
        var length = Rfc3339.FormatUtf8(time, utf8);
        Assert.Equal(Rfc3339.FormatFixed(time), Encoding.UTF8.GetString(utf8[..length]));
        Assert.Equal(Rfc3339.FixedLength, length);
        length = Rfc3339.FormatUtf8(time, TimeForm.Trimmed, utf8);
        Assert.Equal(Rfc3339.FormatTrimmed(time), Encoding.UTF8.GetString(utf8[..length]));
        Assert.Equal(length, Rfc3339.TrimmedLength(Encoding.UTF8.GetBytes(Rfc3339.FormatFixed(time))));
    }

    [Theory]
    [InlineData("2026-12-05T12:00:00.500000Z", "2026-12-05T12:00:00.5Z")]
    [InlineData("2026-12-05T12:00:00.000000Z", "2026-12-05T12:00:00Z")]
    [InlineData("2026-12-05T12:00:00.000001Z", "2026-12-05T12:00:00.000001Z")]
    [InlineData("2026-12-05T12:00:00.120300Z", "2026-12-05T12:00:00.1203Z")]
    [InlineData("2026-12-05T12:00:00.5Z", "2026-12-05T12:00:00.5Z")]
    [InlineData("2026-12-05T12:00:00Z", "2026-12-05T12:00:00Z")]
    public void A_time_in_either_form_trims_to_the_first_form(string text, string trimmed)
    {
        Assert.Equal(trimmed.Length, Rfc3339.TrimmedLength(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(text.Length == 27 ? TimeForm.Fixed : TimeForm.Trimmed, Rfc3339.FormOf(text.Length));
    }

    [Fact]
    public void The_utf8_form_matches_the_text_form_for_many_times_and_offsets()
    {
        var random = new Random(11);
        Span<byte> utf8 = stackalloc byte[Rfc3339.MaxFormattedLength];
        for (var i = 0; i < 20_000; i++)
        {
            var time = new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.UtcTicks + TimeSpan.TicksPerDay, DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerDay), TimeSpan.Zero)
                .ToOffset(TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60)));
            var length = Rfc3339.FormatUtf8(time, utf8);
            Assert.Equal(Rfc3339.FormatFixed(time), Encoding.UTF8.GetString(utf8[..length]));
            length = Rfc3339.FormatUtf8(time, TimeForm.Trimmed, utf8);
            Assert.Equal(Rfc3339.FormatTrimmed(time), Encoding.UTF8.GetString(utf8[..length]));
        }
    }
}
