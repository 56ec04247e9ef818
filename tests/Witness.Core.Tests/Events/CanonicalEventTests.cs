using System.Text;
using System.Text.Json;
using Witness.Events;

namespace Witness.Tests.Events;

public sealed class CanonicalEventTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static AuditEvent Parse(string json)
    {
        var parser = new EventParser(new FixedClock(Now));
        return parser.ParseRequest(Encoding.UTF8.GetBytes(json), "acme").Single().Event with { Seq = 7, ReceivedAt = Now };
    }

    [Theory]
    [InlineData("""{"action":"a"}""")]
    [InlineData("""{"action":"inbox.create","actor":{"id":"u_1","name":"Zoë \"Z\" <b>Ørsted</b>","email":"z@example.com"},"targets":[{"type":"inbox","id":24725,"name":"Support\n\tdesk","url":"https://x.example/i?a=1&b=2"}]}""")]
    [InlineData("""{"action":"a","metadata":{"z":1,"a":[1.50,2e10,-0.0,{"y":null,"b":true}],"ü":"ß","emoji":"😀","ctl":"\u0001"},"changes":{"before":{"b":2,"a":1},"after":null}}""")]
    [InlineData("""{"action":"a","occurred_at":"2023-06-22T17:06:00.1234567+02:00","context":{"ip":"::ffff:203.0.113.7","location":{"country":"IT"}}}""")]
    public void Writing_what_was_read_gives_the_same_bytes(string json)
    {
        var bytes = CanonicalEvent.Write(Parse(json));
        var again = CanonicalEvent.Write(CanonicalEvent.Read(bytes));
        Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(again));

        using var doc = JsonDocument.Parse(bytes);
        var withHash = new System.Buffers.ArrayBufferWriter<byte>();
        CanonicalEvent.WriteWithHash(withHash, bytes, new byte[32]);
        var fromApi = CanonicalEvent.Write(CanonicalEvent.FromElement(JsonDocument.Parse(withHash.WrittenMemory).RootElement));
        Assert.Equal(bytes, fromApi);
    }

    [Theory]
    [InlineData("""{"action":"a"}""", 1)]
    [InlineData("""{"id":"x\",\"seq\":0,\"received_at\":\"0001-01-01T00:00:00Z","action":"a","metadata":{"k":",\"seq\":0"}}""", 9_007_199_254_740_993)]
    [InlineData("""{"action":"inbox.create","actor":{"name":"Zoë <b>"},"targets":[{"type":"t","id":"1"}],"changes":{"before":{"b":1.50}}}""", 42)]
    public void Splicing_seq_and_received_at_into_prepared_parts_gives_the_canonical_bytes(string json, long seq)
    {
        var e = Parse(json);
        var received = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(1234560);
        var spliced = CanonicalParts.Of(e).Complete(seq, received);
        Assert.Equal(CanonicalEvent.Write(e with { Seq = seq, ReceivedAt = received }), spliced);
    }

    [Theory]
    [InlineData("""{"action":"a"}""", false)]
    [InlineData("""{"action":"a","actor":{"id":"u_1","role":"R"},"context":{"source":"form"}}""", false)]
    [InlineData("""{"action":"inbox.create","actor":{"id":"u_1","name":"Zoë \"Z\" <b>","email":"z@example.com"},"context":{"ip":"203.0.113.7","user_agent":"UA\u0001","location":{"country":"IT","city":"Milan"},"source":"form"},"metadata":{"k":"v"}}""", true)]
    public void The_leaf_hash_of_sealed_parts_is_what_a_verifier_recomputes_from_the_body_and_its_record(string json, bool personal)
    {
        var e = Parse(json);
        var received = Now.AddTicks(1234560);
        var parts = CanonicalParts.Of(e);
        parts.Seal();
        var body = parts.Complete(3, received, out var leafHash);

        Assert.Equal(CanonicalEvent.Write(e with { Seq = 3, ReceivedAt = received }), body);
        Assert.Equal(personal, parts.Personal is not null);
        Assert.Equal(Witness.Integrity.MerkleHash.Leaf(PersonalValues.Leaf(body, parts.Personal)), leafHash);
        if (personal)
        {
            Assert.Equal(PersonalValues.Salted, parts.Personal![0]);
            Assert.DoesNotContain("z@example.com", Encoding.UTF8.GetString(PersonalValues.Leaf(body, parts.Personal)));
        }
    }

    [Fact]
    public void Two_events_sealed_alike_get_different_salts()
    {
        var e = Parse("""{"action":"a","actor":{"email":"z@example.com"}}""");
        var first = CanonicalParts.Of(e);
        var second = CanonicalParts.Of(e);
        first.Seal();
        second.Seal();
        Assert.Equal(1 + PersonalValues.SaltSize, first.Personal!.Length);
        Assert.NotEqual(first.Personal, second.Personal);
        Assert.NotEqual(Hash(first), Hash(second));

        static byte[] Hash(CanonicalParts parts)
        {
            parts.Complete(1, Now, out var hash);
            return hash;
        }
    }

    [Fact]
    public void Free_form_objects_are_written_with_sorted_keys_and_exact_numbers()
    {
        var text = Encoding.UTF8.GetString(CanonicalEvent.Write(Parse("""{"action":"a","metadata":{"b":1.50,"a":2}}""")));
        Assert.Contains("\"metadata\":{\"a\":2,\"b\":1.50}", text);
    }

    [Fact]
    public void Times_are_utc_with_microseconds_and_ipv4_mapped_addresses_are_plain_ipv4()
    {
        var e = Parse("""{"action":"a","occurred_at":"2023-06-22T17:06:00.1234567+02:00","context":{"ip":"::ffff:203.0.113.7"}}""");
        Assert.Equal("2023-06-22T15:06:00.123456Z", Rfc3339.FormatFixed(e.OccurredAt));
        Assert.Equal("203.0.113.7", e.Context!.Ip);
    }

    [Fact]
    public void Every_shown_field_is_covered_by_the_canonical_bytes()
    {
        var e = Parse("""{"action":"a","category":"C","actor":{"id":"u","name":"N","email":"e@x.io","role":"R"},"targets":[{"type":"t","id":"1","name":"T","url":"https://x.io"}],"outcome":"failure","reason":"why","context":{"ip":"1.2.3.4","user_agent":"UA","location":{"country":"IT","city":"Milan"},"source":"form","brand":"B","session_id":"s","request_id":"r"},"changes":{"before":{"x":1},"after":{"x":2}},"metadata":{"m":1},"description":"D"}""");
        var text = Encoding.UTF8.GetString(CanonicalEvent.Write(e));
        foreach (var value in new[] { "\"C\"", "\"u\"", "\"N\"", "e@x.io", "\"R\"", "\"T\"", "https://x.io", "failure", "why", "1.2.3.4", "UA", "Milan", "\"IT\"", "form", "\"B\"", "\"s\"", "\"r\"", "\"x\":1", "\"x\":2", "\"m\":1", "\"D\"", "\"seq\":7", "received_at", "occurred_at", "acme" })
        {
            Assert.Contains(value, text);
        }
    }

    [Fact]
    public void The_content_digest_ignores_server_fields_and_a_defaulted_occurred_at()
    {
        var parser = new EventParser(new FixedClock(Now));
        var first = parser.ParseRequest("""{"id":"x","action":"a"}"""u8, "acme").Single();
        var later = new EventParser(new FixedClock(Now.AddMinutes(5))).ParseRequest("""{"id":"x","action":"a"}"""u8, "acme").Single();
        var other = parser.ParseRequest("""{"id":"x","action":"b"}"""u8, "acme").Single();
        Assert.Equal(first.ContentDigest, later.ContentDigest);
        Assert.NotEqual(first.ContentDigest, other.ContentDigest);
    }

    [Fact]
    public void Duplicate_keys_in_metadata_are_rejected_naming_the_path()
    {
        var parser = new EventParser(new FixedClock(Now));
        var ex = Assert.Throws<EventValidationException>(() => parser.ParseRequest("""{"action":"a","metadata":{"k":{"d":1,"d":2}}}"""u8, "acme"));
        Assert.Equal("metadata.k.d", ex.Errors[0].Field);
    }
}
