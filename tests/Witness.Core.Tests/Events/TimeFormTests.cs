using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Witness.Events;

namespace Witness.Tests.Events;

/// <summary>
/// An event stored from now on writes both its times with six fraction digits; bytes an earlier release stored
/// (trimmed times) are written back exactly wherever an event is written again from its parsed values, and the
/// content digest stays what earlier releases stored, whatever text the client gave its time in.
/// </summary>
public sealed class TimeFormTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private static SubmittedEvent Submit(string json) =>
        new EventParser(new FixedClock(Now)).ParseRequest(Encoding.UTF8.GetBytes(json), "acme").Single();

    [Theory]
    [InlineData("2026-12-05T11:00:00Z", "2026-12-05T11:00:00.000000Z", 0)]
    [InlineData("2026-12-05T11:00:00.5Z", "2026-12-05T11:00:00.500000Z", 250)]
    [InlineData("2026-12-05T12:00:00.1234567+01:00", "2026-12-05T11:00:00.123456Z", 1)]
    public void A_new_events_canonical_bytes_write_both_times_with_six_fraction_digits(string sent, string stored, int receivedMillis)
    {
        var submitted = Submit($$$"""{"action":"a","occurred_at":"{{{sent}}}","actor":{"email":"z@example.com"}}""");
        var received = Now.AddMilliseconds(receivedMillis);
        var parts = submitted.Prepare().Prepared!.Parts;
        var body = parts.Complete(3, received, out var leafHash);

        var text = Encoding.UTF8.GetString(body);
        Assert.Contains($"\"seq\":3,\"received_at\":\"{Rfc3339.FormatFixed(received)}\",\"occurred_at\":\"{stored}\",", text, StringComparison.Ordinal);
        Assert.Matches(@"""received_at"":""\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z""", text);
        Assert.Equal(CanonicalEvent.Write(submitted.Event with { Seq = 3, ReceivedAt = received }), body);
        Assert.Equal(body, CanonicalParts.Of(submitted.Event).Complete(3, received));
        Assert.Equal(Witness.Integrity.MerkleHash.Leaf(PersonalValues.Leaf(body, parts.Personal)), leafHash);
        Assert.Equal(TimeForm.Fixed, CanonicalEvent.Read(body).TimeForm);
        Assert.Equal(body, CanonicalEvent.Write(CanonicalEvent.Read(body)));
    }

    [Theory]
    [InlineData("2026-12-05T12:00:00Z", "2026-12-05T11:00:00.5Z")]
    [InlineData("2026-12-05T12:00:00.250001Z", "2026-12-05T11:00:00Z")]
    [InlineData("2026-12-05T12:00:00.25Z", "2026-12-05T11:00:00.123456Z")]
    [InlineData("2026-12-05T12:00:00.250001Z", "2026-12-05T11:00:00.123456Z")]
    public void Bytes_an_earlier_release_stored_are_written_back_exactly_from_the_stored_form_and_the_api_form(string received, string occurred)
    {
        var old = $$"""{"id":"x","tenant":"acme","seq":3,"received_at":"{{received}}","occurred_at":"{{occurred}}","type":"activity","action":"a","actor":{"type":"user","email":"z@example.com"},"targets":[],"outcome":"success"}""";
        var bytes = Encoding.UTF8.GetBytes(old);
        Assert.Equal(old, Encoding.UTF8.GetString(CanonicalEvent.Write(CanonicalEvent.Read(bytes))));
        Assert.Equal(old, Encoding.UTF8.GetString(CanonicalEvent.Write(CanonicalEvent.ReadWithoutFreeForm(bytes))));
        using var api = JsonDocument.Parse(old[..^1] + ",\"hash\":\"00\"}");
        Assert.Equal(old, Encoding.UTF8.GetString(CanonicalEvent.Write(CanonicalEvent.FromElement(api.RootElement))));

        // Splicing parts of the old form writes the old form too.
        var e = CanonicalEvent.Read(bytes);
        Assert.Equal(bytes, CanonicalParts.Of(e).Complete(3, e.ReceivedAt));
    }

    [Fact]
    public void The_content_digest_is_of_the_first_time_form_whatever_text_the_client_gave_its_time_in()
    {
        // Exactly the bytes earlier releases digested, so digests they stored keep judging retries.
        var earlier = """{"id":"x","tenant":"acme","seq":0,"received_at":"0001-01-01T00:00:00Z","occurred_at":"2026-12-05T11:00:00.5Z","type":"activity","action":"a","actor":{"type":"system"},"targets":[],"outcome":"success"}""";
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(earlier));
        foreach (var text in new[] { "2026-12-05T11:00:00.5Z", "2026-12-05T11:00:00.500000Z", "2026-12-05T12:00:00.50+01:00", "2026-12-05T11:00:00.5000004Z" })
        {
            var submitted = Submit($$"""{"id":"x","action":"a","occurred_at":"{{text}}"}""");
            Assert.Equal(expected, submitted.ContentDigest);
            Assert.Equal(expected, CanonicalEvent.ContentDigest(submitted.Event));

            // Recomputed from the stored body of either form.
            var body = submitted.Prepare().Prepared!.Parts.Complete(1, Now);
            Assert.True(ClientContent.Matches(body, submitted.Omitted, expected));
            var old = CanonicalEvent.Write(CanonicalEvent.Read(body) with { TimeForm = TimeForm.Trimmed });
            Assert.NotEqual(body, old);
            Assert.True(ClientContent.Matches(old, submitted.Omitted, expected));
        }

        var whole = Submit("""{"id":"x","action":"a","occurred_at":"2026-12-05T11:00:00.000000Z"}""");
        Assert.Equal(
            SHA256.HashData(Encoding.UTF8.GetBytes(earlier.Replace("11:00:00.5Z", "11:00:00Z", StringComparison.Ordinal))),
            whole.ContentDigest);
    }
}
