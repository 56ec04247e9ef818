using System.Globalization;
using System.Text;
using System.Text.Json;
using Witness.Events;
using Witness.Storage;
using Witness.Verification;

namespace Witness.Tests.Verification;

/// <summary>
/// The verifier's byte check must agree with the full check: for every event, the columns
/// <see cref="EventIndexKeys.From"/> derives are accepted as they are, and a change to any one of them
/// is never accepted (the full check then names it). It may decline an event it does not read
/// (escaped text); it must never accept a row the full check would reject.
/// </summary>
public sealed class RowBytesCheckTests
{
    private static readonly string[] Texts =
    [
        "plain", "Zoë Ångström", "İstanbul ΣΊΣΥΦΟΣ", "日本語", "emoji 🎉", "MiXeD CaSe", "", "quote \" inside", "tab\tinside", "line\u2028sep",
    ];

    private static readonly string?[] Ips = ["203.0.113.7", "2001:DB8::1", "::ffff:10.0.0.1", "10.1.2.3", null];

    [Fact]
    public void It_accepts_the_columns_derived_from_every_event_it_reads_and_declines_only_escaped_ones()
    {
        var declined = 0;
        foreach (var (e, row) in Events(3000))
        {
            var block = Block(e, EventIndexKeys.From(CanonicalEvent.Read(row)));
            var accepted = RowBytesCheck.Matches(block, 0, "acme"u8, out var digest);
            var expectDecline = Encoding.UTF8.GetString(row).Contains('\\', StringComparison.Ordinal);
            Assert.True(accepted || expectDecline, $"declined a plain event: {Encoding.UTF8.GetString(row)}");
            declined += accepted ? 0 : 1;
            if (accepted)
            {
                var keys = EventIndexKeys.From(CanonicalEvent.Read(row));
                var expected = keys.Targets.Distinct().Aggregate(0UL, (sum, t) => sum + IndexChecks.TargetDigest(e.Seq, t.Type, t.Id));
                Assert.Equal(expected, digest);
            }
        }

        Assert.InRange(declined, 1, 2999);
    }

    [Fact]
    public void It_never_accepts_a_changed_column()
    {
        foreach (var (e, row) in Events(600))
        {
            var keys = EventIndexKeys.From(CanonicalEvent.Read(row));
            if (!RowBytesCheck.Matches(Block(e, keys), 0, "acme"u8, out _))
            {
                continue;
            }

            EventIndexKeys[] changed =
            [
                keys with { OccurredAtMicros = keys.OccurredAtMicros + 1 },
                keys with { ReceivedAtMicros = keys.ReceivedAtMicros - 1 },
                keys with { Type = keys.Type == LogTypes.Access ? LogTypes.Activity : LogTypes.Access },
                keys with { Action = keys.Action + "x" },
                keys with { Category = keys.Category is null ? "Teams" : null },
                keys with { Category = keys.Category + "!" },
                keys with { Outcome = keys.Outcome == Outcomes.Success ? Outcomes.Failure : Outcomes.Success },
                keys with { ActorId = keys.ActorId is null ? "u_9" : null },
                keys with { ActorId = keys.ActorId + "9" },
                keys with { ActorEmail = keys.ActorEmail is null ? "x@y.example" : null },
                keys with { ActorEmail = keys.ActorEmail?.ToUpperInvariant() + "X" },
                keys with { Ip = keys.Ip is null ? new byte[16] : null },
                keys with { Ip = keys.Ip is null ? [1] : [.. keys.Ip.Take(15), (byte)(keys.Ip[15] ^ 1)] },
                keys with { SearchText = keys.SearchText + "x" },
                keys with { SearchText = keys.SearchText.ToUpperInvariant() + (keys.SearchText.Any(char.IsLetter) ? "" : "X") },
                keys with { SearchText = "" },
            ];
            foreach (var bad in changed)
            {
                Assert.False(RowBytesCheck.Matches(Block(e, bad), 0, "acme"u8, out _), $"accepted {bad} for {Encoding.UTF8.GetString(row)}");
            }

            Assert.False(RowBytesCheck.Matches(Block(e, keys, id: e.Id + "x"), 0, "acme"u8, out _));
            Assert.False(RowBytesCheck.Matches(Block(e, keys, position: e.Seq + 1), 0, "acme"u8, out _));
            Assert.False(RowBytesCheck.Matches(Block(e, keys, seqColumn: e.Seq + 1), 0, "acme"u8, out _));
            Assert.False(RowBytesCheck.Matches(Block(e, keys, tenantMatches: false), 0, "acme"u8, out _));
            Assert.False(RowBytesCheck.Matches(Block(e, keys), 0, "globex"u8, out _));
        }
    }

    [Fact]
    public void It_accepts_the_digest_of_what_the_client_sent_for_every_set_of_omitted_fields_and_never_a_wrong_one()
    {
        foreach (var (e, row) in Events(400))
        {
            var keys = EventIndexKeys.From(CanonicalEvent.Read(row));
            if (!RowBytesCheck.Matches(Block(e, keys), 0, "acme"u8, out _))
            {
                continue;
            }

            for (var flags = 0; flags < 16; flags++)
            {
                var omitted = (ClientOmitted)flags;
                var digest = ClientContent.Digest(e, omitted);
                Assert.True(RowBytesCheck.Matches(Block(e, keys, digest: digest, omitted: omitted), 0, "acme"u8, out _), $"declined {omitted} for {Encoding.UTF8.GetString(row)}");
                Assert.False(RowBytesCheck.Matches(Block(e, keys, digest: [.. digest.Take(31), (byte)(digest[31] ^ 1)], omitted: omitted), 0, "acme"u8, out _));
                var other = omitted ^ ClientOmitted.OccurredAt;
                Assert.False(RowBytesCheck.Matches(Block(e, keys, digest: digest, omitted: other), 0, "acme"u8, out _), $"accepted {other} for {omitted}");
            }

            // Without flags (a row stored before they were kept) the digest is not checked; a row missing from the id index is not accepted.
            Assert.True(RowBytesCheck.Matches(Block(e, keys, digest: new byte[32]), 0, "acme"u8, out _));
            Assert.False(RowBytesCheck.Matches(Block(e, keys, idIndexed: false), 0, "acme"u8, out _));
        }
    }

    [Fact]
    public void It_accepts_a_split_rows_public_and_personal_texts_and_erased_values_and_never_a_changed_one()
    {
        var accepted = 0;
        foreach (var (e, row) in Events(1500).Select((x, i) => i % 3 == 0 ? Erase(x.Item1) : x))
        {
            var record = new[] { PersonalValues.Salted };
            var keys = EventIndexKeys.From(CanonicalEvent.Read(row));
            var split = PersonalSplit.Keys(row, record);
            var stored = keys with { SearchText = split.PublicText };
            if (!RowBytesCheck.Matches(Block(e, stored, personal: record, personalText: split.PersonalText), 0, "acme"u8, out _))
            {
                Assert.Contains('\\', Encoding.UTF8.GetString(row));
                continue;
            }

            accepted++;
            (EventIndexKeys Keys, string PersonalText)[] changed =
            [
                (keys, split.PersonalText), // the whole text in the row
                (stored, split.PersonalText + "x\n"),
                (stored, ""),
                (keys with { SearchText = split.PersonalText }, split.PublicText), // the parts swapped
                (keys with { SearchText = split.PublicText + "x\n" }, split.PersonalText),
                (stored with { ActorEmail = keys.ActorEmail is null ? "[erased]" : null }, split.PersonalText),
                (stored with { Ip = keys.Ip is null ? new byte[16] : null }, split.PersonalText),
            ];
            foreach (var (bad, personalText) in changed)
            {
                if (bad == stored && personalText == split.PersonalText)
                {
                    continue;
                }

                Assert.False(
                    RowBytesCheck.Matches(Block(e, bad, personal: record, personalText: personalText), 0, "acme"u8, out _),
                    $"accepted '{bad.SearchText}' + '{personalText}' for {Encoding.UTF8.GetString(row)}");
            }

            // Marked paths divide the text otherwise: left to the full check.
            Assert.False(RowBytesCheck.Matches(Block(e, stored, personal: [PersonalValues.Salted | PersonalValues.Marked], personalText: split.PersonalText), 0, "acme"u8, out _));
        }

        Assert.InRange(accepted, 100, 1500); // the rest hold escaped text, which this pass leaves to the full check
    }

    /// <summary>The event with its built-in personal values erased, as an erasure leaves them in the body, and its canonical bytes.</summary>
    private static (AuditEvent, byte[]) Erase(AuditEvent e)
    {
        string? Mark(string? value) => value is null ? null : PersonalValues.Erased;
        var erased = e with
        {
            Actor = e.Actor with { Name = Mark(e.Actor.Name), Email = Mark(e.Actor.Email) },
            Context = e.Context is null ? null : e.Context with
            {
                Ip = Mark(e.Context.Ip),
                Location = e.Context.Location is null ? null : new EventLocation { Country = Mark(e.Context.Location.Country), City = Mark(e.Context.Location.City) },
            },
        };
        var row = CanonicalEvent.Write(erased);
        return (CanonicalEvent.Read(row), row);
    }

    [Theory]
    [InlineData("2023-06-22T15:06:00Z")]
    [InlineData("2023-06-22T15:06:00.1Z")]
    [InlineData("2023-06-22T15:06:00.123456Z")]
    [InlineData("2023-06-22T15:06:00.000001Z")]
    [InlineData("1969-12-31T23:59:59.999999Z")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.999999Z")]
    [InlineData("2024-02-29T12:00:00Z")]
    [InlineData("2023-06-22T15:06:00.000000Z")]
    [InlineData("2023-06-22T15:06:00.500000Z")]
    public void A_time_in_Witness_form_reads_as_the_full_reader_reads_it(string text)
    {
        var expected = EventIndexKeys.Micros(DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal));
        Assert.True(RowBytesCheck.TryMicros(Encoding.ASCII.GetBytes(text), out var micros));
        Assert.Equal(expected, micros);
    }

    [Theory]
    [InlineData("2023-02-29T15:06:00Z")]
    [InlineData("2023-06-22T24:00:00Z")]
    [InlineData("2023-06-22T15:60:00Z")]
    [InlineData("2023-06-22T15:06:60Z")]
    [InlineData("2023-13-22T15:06:00Z")]
    [InlineData("2023-06-22T15:06:00.Z")]
    [InlineData("2023-06-22T15:06:00.1234567Z")]
    [InlineData("2023-06-22T15:06:00+00:00")]
    [InlineData("2023-06-22 15:06:00Z")]
    [InlineData("2023-6-22T15:06:00Z")]
    [InlineData("0000-06-22T15:06:00Z")]
    [InlineData("2023-06-22T15:06:0aZ")]
    public void Any_other_time_is_left_to_the_full_reader(string text) =>
        Assert.False(RowBytesCheck.TryMicros(Encoding.ASCII.GetBytes(text), out _));

    private static LogRowBlock Block(
        AuditEvent e, EventIndexKeys keys, string? id = null, long? position = null, long? seqColumn = null, bool tenantMatches = true,
        byte[]? digest = null, ClientOmitted? omitted = null, bool idIndexed = true, byte[]? personal = null, string? personalText = null)
    {
        var body = CanonicalEvent.Write(e);
        var block = new LogRowBlock(1);
        block.Add(new StoredRow(position ?? e.Seq, id ?? e.Id, body, Witness.Integrity.MerkleHash.Leaf(body), keys)
        {
            SeqColumn = seqColumn ?? position ?? e.Seq,
            TenantColumnMatches = tenantMatches,
            ContentDigest = digest,
            ClientOmitted = omitted,
            IdIndexed = idIndexed,
            Personal = personal,
            PersonalText = personalText,
        });
        return block;
    }

    /// <summary>Events with every combination that matters to the index columns, and their canonical bytes.</summary>
    private static IEnumerable<(AuditEvent, byte[])> Events(int count)
    {
        var random = new Random(20261202);
        string? Maybe(string value) => random.Next(5) == 0 ? null : value;
        string Text() => Texts[random.Next(Texts.Length)];
        for (var i = 1; i <= count; i++)
        {
            var type = LogTypes.All[random.Next(LogTypes.All.Count)];
            var targets = Enumerable.Range(0, random.Next(0, 4))
                .Select(_ => new EventTarget { Type = random.Next(2) == 0 ? "inbox" : "Team", Id = random.Next(3).ToString(CultureInfo.InvariantCulture), Name = Maybe(Text()), Url = Maybe("https://app.example.com/x") })
                .ToList();
            var e = new AuditEvent
            {
                Id = $"evt_{i}",
                Tenant = "acme",
                Seq = i,
                ReceivedAt = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero).AddTicks(random.NextInt64(0, 10_000_000_000) * 10),
                OccurredAt = new DateTimeOffset(1960 + random.Next(100), 1 + random.Next(12), 1 + random.Next(28), random.Next(24), random.Next(60), random.Next(60), TimeSpan.Zero).AddTicks(random.Next(3) * random.Next(10_000_000) / 10 * 10),
                Type = type,
                Action = random.Next(2) == 0 ? "inbox.update" : "user.login_failed",
                Category = Maybe(Text()),
                Actor = new EventActor { Type = ActorTypes.User, Id = Maybe("u_" + random.Next(100)), Name = Maybe(Text()), Email = Maybe(random.Next(2) == 0 ? "Zoë.Name@Example.COM" : "user@acme.example"), Role = Maybe("Agent") },
                Targets = targets,
                Outcome = random.Next(2) == 0 ? Outcomes.Success : Outcomes.Failure,
                Reason = Maybe(Text()),
                Context = random.Next(4) == 0 ? null : new EventContext
                {
                    Ip = Ips[random.Next(Ips.Length)],
                    UserAgent = Maybe("Mozilla/5.0"),
                    Location = random.Next(3) == 0 ? null : new EventLocation { Country = Maybe("IT"), City = Maybe(Text()) },
                },
                Changes = random.Next(3) == 0 ? new EventChanges { Before = Json("{\"name\":\"a\"}"), After = Json("{\"name\":\"b\"}") } : null,
                Metadata = random.Next(5) switch
                {
                    0 => Json("{\"endpoint\":\"https://hooks.example\",\"status\":502}"),
                    1 => Json("{\"zeta\":\"Zoë\",\"alpha\":1.5e3,\"mid\":{\"inner\":\"x\"},\"list\":[1,2],\"flag\":true,\"none\":null,\"empty\":\"\",\"neg\":-0.25}"),
                    2 => Json("{\"Upper\":\"B\",\"lower\":\"a\",\"_under\":\"c\",\"1digit\":7}"),
                    _ => null,
                },
                Description = Maybe(Text()),

                // Every other event as an earlier release stored it (trimmed times), the rest as stored since.
                TimeForm = i % 2 == 0 ? TimeForm.Trimmed : TimeForm.Fixed,
            };
            var row = CanonicalEvent.Write(e);
            yield return (CanonicalEvent.Read(row), row);
        }
    }

    private static JsonElement Json(string text)
    {
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
