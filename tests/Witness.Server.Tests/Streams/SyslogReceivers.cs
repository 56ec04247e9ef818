using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Streams;

/// <summary>
/// A real syslog daemon started by the test on a free loopback port, writing each message it parsed as
/// RFC 5424 to a file as one line <c>version|app|msgid|seq|hash|tenant|msg</c>: Debian's rsyslog
/// (imtcp, or gtls with the test's CA), or Debian's syslog-ng (its <c>syslog()</c> source: octet-counted
/// RFC 5424, from the folder <c>scripts/test</c> unpacks it to, <c>WITNESS_TEST_SYSLOG_NG</c>).
/// Stopped and its folder deleted when disposed.
/// </summary>
internal sealed class SyslogReceiver : IAsyncDisposable
{
    private readonly string _folder;
    private readonly string _config;
    private readonly bool _syslogNg;
    private Process? _process;

    private SyslogReceiver(string folder, string config, int port, bool syslogNg)
    {
        _folder = folder;
        _config = config;
        Port = port;
        _syslogNg = syslogNg;
    }

    public int Port { get; }

    public string OutputFile => Path.Combine(_folder, "out.log");

    /// <summary>rsyslog with imtcp; with <paramref name="tls"/>, gtls with a server certificate for 127.0.0.1 signed by <see cref="TestCa"/>.</summary>
    public static async Task<SyslogReceiver> StartRsyslogAsync(TestCa? tls = null)
    {
        var folder = TempFolder.Create("witness-rsyslog");
        var port = StreamTestSupport.ClosedPort();
        var output = Path.Combine(folder, "out.log");
        var driver = "";
        var input = "";
        if (tls is not null)
        {
            await tls.WriteServerFilesAsync(folder);
            driver = $"""
                global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="{folder}/ca.pem"
                       DefaultNetstreamDriverCertFile="{folder}/server.pem" DefaultNetstreamDriverKeyFile="{folder}/server.key")
                """;
            input = """ StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon" """;
        }

        var config = $$"""
            global(workDirectory="{{folder}}" maxMessageSize="64k")
            {{driver}}
            module(load="imtcp"{{input}})
            template(name="witness" type="string"
                     string="%protocol-version%|%app-name%|%msgid%|%structured-data%|%msg%\n")
            input(type="imtcp" port="{{port}}" address="127.0.0.1" ruleset="out")
            ruleset(name="out") { action(type="omfile" file="{{output}}" template="witness") }
            """;
        var file = Path.Combine(folder, "rsyslog.conf");
        await File.WriteAllTextAsync(file, config);
        var receiver = new SyslogReceiver(folder, file, port, syslogNg: false);
        await StartOrDeleteAsync(receiver);
        return receiver;
    }

    public static string? SyslogNgFolder => Environment.GetEnvironmentVariable("WITNESS_TEST_SYSLOG_NG");

    public static async Task<SyslogReceiver> StartSyslogNgAsync()
    {
        var folder = TempFolder.Create("witness-syslog-ng");
        var port = StreamTestSupport.ClosedPort();
        var config = $$"""
            @version: {{SyslogNgVersion()}}
            options { keep-hostname(yes); log-msg-size(65536); create-dirs(no); };
            source s { syslog(ip("127.0.0.1") port({{port}}) transport("tcp") flags(no-multi-line)); };
            destination d { file("{{folder}}/out.log" template("${.SDATA.witness@32473.seq}|${.SDATA.witness@32473.hash}|${.SDATA.witness@32473.tenant}|${PROGRAM}|${MSGID}|${MSG}\n")); };
            log { source(s); destination(d); };
            """;
        var file = Path.Combine(folder, "syslog-ng.conf");
        await File.WriteAllTextAsync(file, config);
        var receiver = new SyslogReceiver(folder, file, port, syslogNg: true);
        await StartOrDeleteAsync(receiver);
        return receiver;
    }

    // A daemon that did not start is not disposed by the test: its folder goes here.
    private static async Task StartOrDeleteAsync(SyslogReceiver receiver)
    {
        try
        {
            await receiver.StartAsync();
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }
    }

    /// <summary>The unpacked syslog-ng's version (its module folder's name, such as 3.38).</summary>
    private static string SyslogNgVersion() =>
        Path.GetFileName(Directory.GetDirectories(Path.Combine(SyslogNgFolder ?? "", "usr/lib/syslog-ng")).Single(d => char.IsDigit(Path.GetFileName(d)[0])));

    public async Task StartAsync()
    {
        ProcessStartInfo start;
        if (_syslogNg)
        {
            var root = SyslogNgFolder ?? throw new InvalidOperationException("WITNESS_TEST_SYSLOG_NG is not set: run the tests through scripts/test");
            start = new ProcessStartInfo(Path.Combine(root, "usr/sbin/syslog-ng"),
                ["-F", "-f", _config, $"--module-path={root}/usr/lib/syslog-ng/{SyslogNgVersion()}", "-p", Path.Combine(_folder, "pid"), "-R", Path.Combine(_folder, "persist"), "-c", Path.Combine(_folder, "ctl")]);
            start.Environment["LD_LIBRARY_PATH"] = Path.Combine(root, "usr/lib/syslog-ng");
        }
        else
        {
            start = new ProcessStartInfo("rsyslogd", ["-n", "-f", _config, "-i", Path.Combine(_folder, "pid")]);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _process = Process.Start(start) ?? throw new InvalidOperationException("the syslog daemon did not start");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Stops the daemon (SIGTERM) and waits until it has written what it received and exited.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(wait.Token);
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>The lines written so far (a line still being written is left out).</summary>
    public IReadOnlyList<string> Lines()
    {
        if (!File.Exists(OutputFile))
        {
            return [];
        }

        using var stream = new FileStream(OutputFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var text = new StreamReader(stream, Encoding.UTF8).ReadToEnd();
        var end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n');
    }

    public async Task<IReadOnlyList<string>> WaitForLinesAsync(Func<IReadOnlyList<string>, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var lines = Lines();
            if (done(lines))
            {
                return lines;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"gave up waiting for {what}: {lines.Count} lines");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        TempFolder.Delete(_folder);
    }
}

/// <summary>A certificate authority made by the test, and a server certificate for 127.0.0.1 it signs.</summary>
internal sealed class TestCa : IDisposable
{
    private readonly RSA _caKey = RSA.Create(2048);
    private readonly RSA _serverKey = RSA.Create(2048);

    public TestCa()
    {
        var now = DateTimeOffset.UtcNow;
        var ca = new CertificateRequest("CN=Witness test CA", _caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        ca.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        ca.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Certificate = ca.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        var server = new CertificateRequest("CN=127.0.0.1", _serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        server.CertificateExtensions.Add(names.Build());
        server.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        server.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        server.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        ServerCertificate = server.Create(Certificate, now.AddDays(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(12));
    }

    public X509Certificate2 Certificate { get; }

    public X509Certificate2 ServerCertificate { get; }

    public string CaPem => Certificate.ExportCertificatePem();

    public string ServerSha256 => Convert.ToHexStringLower(SHA256.HashData(ServerCertificate.RawData));

    public async Task WriteServerFilesAsync(string folder)
    {
        await File.WriteAllTextAsync(Path.Combine(folder, "ca.pem"), CaPem);
        await File.WriteAllTextAsync(Path.Combine(folder, "server.pem"), ServerCertificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(folder, "server.key"), _serverKey.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose()
    {
        Certificate.Dispose();
        ServerCertificate.Dispose();
        _caKey.Dispose();
        _serverKey.Dispose();
    }
}
