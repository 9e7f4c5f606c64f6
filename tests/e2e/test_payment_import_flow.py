"""The online-payment import in a real browser: the cashier uploads a GCash export, watches the
rows being recorded (HTMX polling in a live region) and reads the summary with the reasons."""
from richwell import tasks
from richwell.extensions import db
from richwell.models import Role
from tests.e2e.navigation import follow
from tests.factories import DEFAULT_PASSWORD, make_enrollment, make_student, make_term, make_user

CSV = ("Reference,Student Number,Amount,Date\n"
       "GC-5001,2026-00201,5000.00,2026-01-05\n"
       "GC-5002,2026-00202,2500,2026-01-05\n"
       "GC-5003,2026-00404,100,2026-01-05\n"
       "GC-5004,2026-00201,-20,2026-01-05\n")


def test_cashier_imports_a_csv_watches_progress_and_reads_the_summary(page, sign_in, monkeypatch):
    make_user(Role.CASHIER, email="cashier.e2e@richwell.edu.ph")
    term = make_term()
    for number in ("2026-00201", "2026-00202"):
        make_enrollment(make_student(number=number), term)
    db.session.commit()
    queued = []
    # Stand in for the worker: keep the queued chunks, run them once the page is polling.
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: queued.append((task, args)))

    sign_in("cashier.e2e@richwell.edu.ph", DEFAULT_PASSWORD)
    follow(page.get_by_role("link", name="Online payments").first)
    page.get_by_label("CSV file").set_input_files(
        {"name": "gcash-january.csv", "mimeType": "text/csv", "buffer": CSV.encode()})
    page.get_by_label("Paid by").select_option("GCASH")
    page.get_by_role("button", name="Import payments").click()

    live = page.locator("#import-progress[aria-live=polite]")
    live.get_by_text("Recording… 2 of 4 rows done.").wait_for()  # the refused rows count as done
    assert [task.name for task, _ in queued] == ["import_payment_rows"]
    for task, args in queued:
        task.call_local(*args)
    live.get_by_role("heading", name="Summary").wait_for()
    assert page.locator("#import-recorded").inner_text() == "2"
    assert page.locator("#import-duplicates").inner_text() == "0"
    assert page.locator("#import-refused").inner_text() == "2"
    table = page.get_by_role("table", name="Rows not recorded, with the reason")
    assert "No student has the number 2026-00404." in table.inner_text()
    assert "The amount must be more than zero." in table.inner_text()
