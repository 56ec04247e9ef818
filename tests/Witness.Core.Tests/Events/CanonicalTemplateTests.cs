using System.Text;
using Witness.Events;

namespace Witness.Tests.Events;

public sealed class CanonicalTemplateTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("""{"action":"a"}""", 1L, "2024-05-01T12:00:00Z")]
    [InlineData("""{"id":"x\",\"seq\":0,\"received_at\":\"0001-01-01T00:00:00Z\"","action":"a","description":",\"seq\":0,"}""", 10L, "2024-05-01T12:00:00.5Z")]
    [InlineData("""{"id":"Ørsted \\ \"q\"","action":"inbox.create","actor":{"id":"u_1","name":"Zoë \u0001 \u0000"},"metadata":{"seq":0}}""", 9_223_372_036_854_775_807L, "2999-12-31T23:59:59.999999Z")]
    public void A_stamped_template_is_byte_for_byte_the_canonical_form_of_the_appended_event(string json, long seq, string receivedAt)
    {
        var e = new EventParser(new FixedClock(Now)).ParseRequest(Encoding.UTF8.GetBytes(json), "acme-tenant_1.x").Single().Event;
        var received = DateTimeOffset.Parse(receivedAt, System.Globalization.CultureInfo.InvariantCulture);

        var stamped = CanonicalTemplate.Of(e).Stamp(seq, received);

        Assert.Equal(Encoding.UTF8.GetString(CanonicalEvent.Write(e with { Seq = seq, ReceivedAt = received })), Encoding.UTF8.GetString(stamped));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
