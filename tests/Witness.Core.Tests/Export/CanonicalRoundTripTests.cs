using System.Buffers;
using System.Text.Json;
using Witness.Events;

namespace Witness.Tests.Export;

/// <summary>
/// A verifier recovers an event's canonical bytes from its exported JSON line; the round trip must be
/// exact whatever the event holds, or a genuine export would fail to verify.
/// </summary>
public sealed class CanonicalRoundTripTests
{
    public static TheoryData<string> OddContent => new()
    {
        "plain",
        "Zoë Ångström – Łódź",
        "日本語のテキスト",
        "emoji 🎉👩‍💻 and a lone pair \ud83d\ude00",
        "e\u0301 combining",
        "control \u0000 \u0001 \u001f and \t\r\n",
        "line separators \u2028 \u2029",
        "quotes \" and backslash \\ and slash /",
        "</script><script>alert(1)</script>",
        "=1+1",
        "",
        new string('x', 20_000),
    };

    [Theory]
    [MemberData(nameof(OddContent))]
    public void An_exported_line_gives_back_the_exact_canonical_bytes(string text)
    {
        var e = new AuditEvent
        {
            Id = "evt-" + text.Length,
            Tenant = "acme",
            Seq = 42,
            ReceivedAt = new DateTimeOffset(2023, 6, 22, 15, 6, 0, 123, TimeSpan.Zero).AddTicks(4560),
            OccurredAt = new DateTimeOffset(2023, 6, 22, 15, 6, 0, TimeSpan.Zero),
            Type = LogTypes.Activity,
            Action = "inbox.update",
            Category = text,
            Actor = new EventActor { Type = ActorTypes.User, Id = "u_1", Name = text, Email = "a@example.com" },
            Targets = [new EventTarget { Type = "inbox", Id = "1", Name = text, Url = "https://example.com/a?b=c&d=%20" }, new EventTarget { Type = "team", Id = text.Length == 0 ? "x" : text }],
            Outcome = Outcomes.Failure,
            Reason = text,
            Context = new EventContext { Ip = "2001:db8::1", UserAgent = text, Location = new EventLocation { Country = "IT" } },
            Changes = new EventChanges { Before = Json("{\"name\":" + JsonSerializer.Serialize(text) + ",\"n\":null}"), After = Json("{\"z\":[],\"a\":{},\"name\":\"x\"}") },
            Metadata = Json("{\"big\":123456789012345678901234567890,\"exp\":1E+400,\"neg\":-0.000001,\"list\":[1,\"two\",null,true,false,{\"k\":" + JsonSerializer.Serialize(text) + "}]}"),
            Description = text,
        };
        var canonical = CanonicalEvent.Write(CanonicalEvent.Read(CanonicalEvent.Write(e)));
        var line = new ArrayBufferWriter<byte>();
        CanonicalEvent.WriteWithHash(line, canonical, Witness.Integrity.MerkleHash.Leaf(canonical));

        using var doc = JsonDocument.Parse(line.WrittenMemory);
        var recovered = CanonicalEvent.Write(CanonicalEvent.FromElement(doc.RootElement));

        Assert.Equal(canonical, recovered);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
