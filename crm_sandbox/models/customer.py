"""Simulated customers of a cohort's sandbox world, with their transactions and earlier interactions."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_sandbox.models.base import Base
from crm_sandbox.models.personal import EncryptedDict, personal_field

# The customer's personal-data fields, in display order: kept together in the encrypted ``personal``.
# fmt: off
PERSONAL_FIELDS = ("title", "first_name", "middle_name", "last_name", "date_of_birth", "address_line1",
                   "address_line2", "town", "postcode", "email", "phone", "account_number", "sort_code",
                   "memorable_word", "balance")
# fmt: on
# Fields with a blind index for exact-match search.
INDEXED_FIELDS = ("last_name", "postcode", "account_number", "email", "phone")


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("cohort_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    ref: Mapped[str] = mapped_column(String(16))  # e.g. "cust-00042", stable for a seed
    product: Mapped[str] = mapped_column(String(60))
    # The learner whose private world this customer belongs to (generated for one of their contacts,
    # or as a namesake beside one); None for the cohort's shared background customers, which no
    # learner's search finds.
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)

    # Every personal-data field, encrypted at rest as one value; read and written as attributes.
    personal: Mapped[dict] = mapped_column(EncryptedDict)
    title = personal_field("title")
    first_name = personal_field("first_name")
    middle_name = personal_field("middle_name")
    last_name = personal_field("last_name")
    date_of_birth = personal_field("date_of_birth")  # ISO 8601
    address_line1 = personal_field("address_line1")
    address_line2 = personal_field("address_line2")
    town = personal_field("town")
    postcode = personal_field("postcode")
    email = personal_field("email")
    phone = personal_field("phone")
    account_number = personal_field("account_number")
    sort_code = personal_field("sort_code")
    memorable_word = personal_field("memorable_word")
    balance = personal_field("balance")  # decimal string, e.g. "1284.50"

    last_name_index: Mapped[str] = mapped_column(String(32), index=True)
    postcode_index: Mapped[str] = mapped_column(String(32), index=True)
    account_number_index: Mapped[str] = mapped_column(String(32), index=True)
    email_index: Mapped[str] = mapped_column(String(32), index=True)
    phone_index: Mapped[str] = mapped_column(String(32), index=True)

    transactions: Mapped[list["Transaction"]] = relationship(
        back_populates="customer", order_by="Transaction.posted_on.desc()", cascade="all, delete-orphan"
    )
    interactions: Mapped[list["PriorInteraction"]] = relationship(
        back_populates="customer", order_by="PriorInteraction.at.desc()", cascade="all, delete-orphan"
    )

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.middle_name, self.last_name) if p)

    def __repr__(self) -> str:
        return f"<Customer {self.ref}>"


class Transaction(Base):
    __tablename__ = "account_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    posted_on: Mapped[date]
    description: Mapped[str] = mapped_column(String(120))
    amount_pence: Mapped[int]  # negative for money out

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_pence) / 100

    customer: Mapped[Customer] = relationship(back_populates="transactions")


class PriorInteraction(Base):
    """A note from before the sandbox session, as a real CRM's history would hold."""

    __tablename__ = "prior_interaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)

    customer: Mapped[Customer] = relationship(back_populates="interactions")
