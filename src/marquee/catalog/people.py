"""Editor rules for people and their credits on titles."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marquee.catalog.errors import CreditExists, CreditNotFound, NotACastCredit, PersonNotFound
from marquee.catalog.models import Credit, CreditRole, Person
from marquee.catalog.schemas import CreditCreate, PersonCreate
from marquee.catalog.service import get_title
from marquee.pagination import PageParams


def get_person(*, session: Session, person_id: uuid.UUID) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise PersonNotFound("No such person.")
    return person


def list_people(*, session: Session, params: PageParams, q: str | None) -> tuple[list[Person], int]:
    query = select(Person)
    if q:
        query = query.where(func.lower(Person.name).like(f"%{q.lower()}%"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Person.name, Person.id).offset(params.offset).limit(params.limit)
    )
    return list(rows), total


def create_person(*, session: Session, data: PersonCreate) -> Person:
    person = Person(**data.model_dump())
    session.add(person)
    session.flush()
    return person


def update_person(*, session: Session, person_id: uuid.UUID, changes: dict[str, Any]) -> Person:
    person = get_person(session=session, person_id=person_id)
    for key, value in changes.items():
        setattr(person, key, value)
    session.flush()
    return person


def delete_person(*, session: Session, person_id: uuid.UUID) -> None:
    session.delete(get_person(session=session, person_id=person_id))
    session.flush()


def add_credit(*, session: Session, title_id: uuid.UUID, data: CreditCreate) -> Credit:
    title = get_title(session=session, title_id=title_id)
    person = get_person(session=session, person_id=data.person_id)
    clash = select(Credit.id).where(
        Credit.title_id == title.id, Credit.person_id == person.id, Credit.role == data.role
    )
    if session.scalar(clash) is not None:
        raise CreditExists("This person already has this role on the title.")
    credit = Credit(title_id=title.id, person=person, **data.model_dump(exclude={"person_id"}))
    session.add(credit)
    session.flush()
    return credit


def get_credit(*, session: Session, title_id: uuid.UUID, credit_id: uuid.UUID) -> Credit:
    credit = session.get(Credit, credit_id)
    if credit is None or credit.title_id != title_id:
        raise CreditNotFound("No such credit.")
    return credit


def update_credit(
    *, session: Session, title_id: uuid.UUID, credit_id: uuid.UUID, changes: dict[str, Any]
) -> Credit:
    credit = get_credit(session=session, title_id=title_id, credit_id=credit_id)
    if changes.get("character") is not None and credit.role is not CreditRole.CAST:
        raise NotACastCredit("Only cast credits have a character.")
    for key, value in changes.items():
        setattr(credit, key, value)
    session.flush()
    return credit


def delete_credit(*, session: Session, title_id: uuid.UUID, credit_id: uuid.UUID) -> None:
    session.delete(get_credit(session=session, title_id=title_id, credit_id=credit_id))
    session.flush()
