<?php
namespace App\Mail;

use App\Contracts\Transport;

/** Sends messages. */
interface Sender
{
    public function send(string $to, string $body): bool;
}

/** Mails through a transport. */
class Mailer implements Sender
{
    const RETRIES = 3;

    private Transport $transport;

    /** Creates a mailer. */
    public function __construct(Transport $transport)
    {
        $this->transport = $transport; // BODY_MARKER
    }

    /** Sends one message. */
    public function send(string $to, string $body): bool
    {
        return $this->transport->deliver($to, $body); // BODY_MARKER
    }
}

/** Formats an address. */
function format_address(string $name, string $email): string
{
    return "$name <$email>"; // BODY_MARKER
}
